#include "runtime/event_recorder.h"

#include <gtest/gtest.h>

#include "kube/api_error.h"
#include "support/fake_clock.h"

namespace tfws::runtime {
namespace {

using namespace std::chrono_literals;
using kube::Json;

class RecordingSink final : public EventSink {
 public:
  void Create(const std::string& ns, const Json& event) override {
    std::lock_guard lock(mu_);
    if (fail) throw kube::TransportError("connection refused");
    calls.push_back({"create", ns, event});
    events[event["metadata"]["name"]] = event;
  }
  void Patch(const std::string& ns, const std::string& name, const Json& patch) override {
    std::lock_guard lock(mu_);
    if (!events.contains(name)) throw kube::ApiError(404, "NotFound", "events \"" + name + "\" not found");
    calls.push_back({"patch", ns, patch});
    events[name].merge_patch(patch);
  }
  struct Call {
    std::string verb, ns;
    Json body;
  };
  std::mutex mu_;
  std::vector<Call> calls;
  std::map<std::string, Json> events;
  bool fail = false;
};

ObjectReference Workspace(const std::string& name = "ws") {
  return ObjectReference::From(Json{{"apiVersion", "tfws.io/v1alpha1"},
                                    {"kind", "TFWorkspace"},
                                    {"metadata", {{"namespace", "team-a"}, {"name", name}, {"uid", "uid-" + name}}}});
}

class EventRecorderTest : public ::testing::Test {
 protected:
  EventRecorderOptions Options() {
    EventRecorderOptions o;
    o.clock = &clock;
    o.reporting_instance = "tfws-operator-0";
    return o;
  }
  time::FakeClock clock;
  RecordingSink sink;
};

TEST_F(EventRecorderTest, WritesAnEventsV1EventAboutTheRegardingObject) {
  EventRecorder recorder(sink, Options());
  recorder.Eventf(Workspace(), EventType::kWarning, "InsufficientGPU", "Scheduling",
                  "no node has 2 free nvidia.com/gpu");
  ASSERT_TRUE(recorder.Flush());
  ASSERT_EQ(sink.calls.size(), 1u);
  const Json& e = sink.calls[0].body;
  EXPECT_EQ(sink.calls[0].ns, "team-a");
  EXPECT_EQ(e["apiVersion"], "events.k8s.io/v1");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["reason"], "InsufficientGPU");
  EXPECT_EQ(e["action"], "Scheduling");
  EXPECT_EQ(e["note"], "no node has 2 free nvidia.com/gpu");
  EXPECT_EQ(e["reportingController"], "tfws.io/operator");
  EXPECT_EQ(e["reportingInstance"], "tfws-operator-0");
  EXPECT_EQ(e["regarding"]["kind"], "TFWorkspace");
  EXPECT_EQ(e["regarding"]["uid"], "uid-ws");
  EXPECT_EQ(e["eventTime"], "2026-01-01T00:00:00.000000Z");
  EXPECT_FALSE(e.contains("series"));
  EXPECT_TRUE(e["metadata"]["name"].get<std::string>().starts_with("ws."));
}

TEST_F(EventRecorderTest, RepeatsWithinTheWindowBecomeASeriesOnOneEvent) {
  EventRecorder recorder(sink, Options());
  for (int i = 0; i < 3; ++i) {
    recorder.Eventf(Workspace(), EventType::kWarning, "InsufficientGPU", "Scheduling", "no GPU");
    ASSERT_TRUE(recorder.Flush());
    clock.Advance(1min);
  }
  ASSERT_EQ(sink.events.size(), 1u);
  const Json& e = sink.events.begin()->second;
  EXPECT_EQ(e["series"]["count"], 3);
  EXPECT_EQ(e["series"]["lastObservedTime"], "2026-01-01T00:02:00.000000Z");
  EXPECT_EQ(sink.calls[1].verb, "patch");
}

TEST_F(EventRecorderTest, DifferentNotesOrObjectsAreSeparateEvents) {
  EventRecorder recorder(sink, Options());
  recorder.Eventf(Workspace("a"), EventType::kNormal, "Started", "Start", "pod ws started");
  recorder.Eventf(Workspace("b"), EventType::kNormal, "Started", "Start", "pod ws started");
  recorder.Eventf(Workspace("a"), EventType::kNormal, "Started", "Start", "another note");
  ASSERT_TRUE(recorder.Flush());
  EXPECT_EQ(sink.events.size(), 3u);
}

TEST_F(EventRecorderTest, ARepeatAfterTheWindowStartsANewEvent) {
  EventRecorder recorder(sink, Options());
  recorder.Eventf(Workspace(), EventType::kNormal, "Culled", "Stop", "idle for 2h");
  ASSERT_TRUE(recorder.Flush());
  clock.Advance(11min);
  recorder.Eventf(Workspace(), EventType::kNormal, "Culled", "Stop", "idle for 2h");
  ASSERT_TRUE(recorder.Flush());
  EXPECT_EQ(sink.events.size(), 2u);
}

TEST_F(EventRecorderTest, ExpiredEventIsRecreatedWithItsSeries) {
  EventRecorder recorder(sink, Options());
  recorder.Eventf(Workspace(), EventType::kNormal, "R", "A", "n");
  ASSERT_TRUE(recorder.Flush());
  sink.events.clear();  // the server's TTL removed it
  recorder.Eventf(Workspace(), EventType::kNormal, "R", "A", "n");
  ASSERT_TRUE(recorder.Flush());
  ASSERT_EQ(sink.events.size(), 1u);
  EXPECT_EQ(sink.events.begin()->second["series"]["count"], 2);
}

TEST_F(EventRecorderTest, WriteFailuresAreLoggedNotThrown) {
  sink.fail = true;
  EventRecorder recorder(sink, Options());
  EXPECT_NO_THROW(recorder.Eventf(Workspace(), EventType::kWarning, "R", "A", "n"));
  EXPECT_TRUE(recorder.Flush());
  EXPECT_TRUE(sink.events.empty());
}

TEST_F(EventRecorderTest, MemoryIsBoundedByTheLru) {
  auto options = Options();
  options.max_tracked = 2;
  EventRecorder recorder(sink, options);
  for (std::string name : {"a", "b", "c"}) {  // c evicts a
    recorder.Eventf(Workspace(name), EventType::kNormal, "R", "A", "n");
    ASSERT_TRUE(recorder.Flush());
  }
  recorder.Eventf(Workspace("a"), EventType::kNormal, "R", "A", "n");  // new event, not a series
  ASSERT_TRUE(recorder.Flush());
  int for_a = 0;
  for (auto& [name, e] : sink.events) for_a += e["regarding"]["name"] == "a" ? 1 : 0;
  EXPECT_EQ(for_a, 2);
}

TEST_F(EventRecorderTest, NotesAreCutAtOneKilobyte) {
  EventRecorder recorder(sink, Options());
  recorder.Eventf(Workspace(), EventType::kNormal, "R", "A", std::string(5000, 'x'));
  ASSERT_TRUE(recorder.Flush());
  EXPECT_EQ(sink.calls[0].body["note"].get<std::string>().size(), 1024u);
}

}  // namespace
}  // namespace tfws::runtime
