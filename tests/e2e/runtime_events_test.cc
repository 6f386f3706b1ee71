// The event recorder against the real API server: repeats aggregate into one
// events.k8s.io/v1 Event with a series.
#include <gtest/gtest.h>

#include "runtime/event_recorder.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

using kube::Json;
using namespace std::chrono_literals;

class RuntimeEventsTest : public TestenvTest {};

TEST_F(RuntimeEventsTest, RepeatedEventsBecomeOneEventWithASeriesCount) {
  Json cm = client().Create(kube::resources::kConfigMaps, ns(),
                            {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "regarding"}}}});
  cm["apiVersion"] = "v1";
  cm["kind"] = "ConfigMap";
  runtime::ClientEventSink sink(client());
  runtime::EventRecorderOptions options;
  options.reporting_instance = "e2e";
  runtime::EventRecorder recorder(sink, options);
  auto ref = runtime::ObjectReference::From(cm);
  for (int i = 0; i < 3; ++i) {
    recorder.Eventf(ref, runtime::EventType::kWarning, "InsufficientGPU", "Scheduling",
                    "no node has 2 free nvidia.com/gpu: lower spec.gpu.count or wait");
    ASSERT_TRUE(recorder.Flush());
  }
  recorder.Eventf(ref, runtime::EventType::kNormal, "Started", "Start", "a different event");
  ASSERT_TRUE(recorder.Flush());

  Json events = client().List(kube::resources::kEvents, ns())["items"];
  std::vector<Json> gpu;
  for (auto& e : events) {
    if (e["reason"] == "InsufficientGPU") gpu.push_back(e);
  }
  ASSERT_EQ(gpu.size(), 1u) << events.dump(2);
  EXPECT_EQ(gpu[0]["series"]["count"], 3);
  EXPECT_EQ(gpu[0]["regarding"]["name"], "regarding");
  EXPECT_EQ(gpu[0]["regarding"]["uid"], cm["metadata"]["uid"]);
  EXPECT_EQ(gpu[0]["reportingController"], "tfws.io/operator");
  EXPECT_EQ(gpu[0]["type"], "Warning");
  EXPECT_EQ(events.size(), 2u);
}

}  // namespace
}  // namespace tfws::e2e
