// Specification of the Loki push sink, against a scripted in-memory pusher.
// (loki_victorialogs_test.cc runs the same sink against a real server.)
#include "observe/loki_sink.h"

#include "metrics_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <condition_variable>
#include <deque>
#include <mutex>

namespace tfws::observe {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string Gunzip(const std::string& data) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&zs);
  return out;
}

// Answers pushes from a script of statuses (then 204 forever) and keeps what
// it accepted. Optionally holds every push until released.
class ScriptedPusher : public LokiPusher {
 public:
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<int> script;
    std::vector<nlohmann::json> accepted;  // request bodies the "server" accepted
    int attempts = 0;
    bool gzipped = false;
    bool hold = false;
  };
  explicit ScriptedPusher(std::shared_ptr<State> s) : s_(std::move(s)) {}
  PushOutcome Push(const std::string& body, bool gzipped) override {
    std::unique_lock lock(s_->mu);
    s_->cv.wait(lock, [&] { return !s_->hold; });
    ++s_->attempts;
    s_->gzipped = gzipped;
    int status = 204;
    if (!s_->script.empty()) {
      status = s_->script.front();
      s_->script.pop_front();
    }
    if (status >= 200 && status < 300) {
      s_->accepted.push_back(nlohmann::json::parse(gzipped ? Gunzip(body) : body));
    }
    return {status, status == 0 ? "connection refused" : ""};
  }

 private:
  std::shared_ptr<State> s_;
};

LogRecord Rec(std::string msg, Fields fields = {}, LogLevel level = LogLevel::kInfo) {
  return {std::chrono::system_clock::now(), level, "test", std::move(msg), std::move(fields)};
}

// Every accepted line's "msg", in push order.
std::vector<std::string> Messages(ScriptedPusher::State& s) {
  std::lock_guard lock(s.mu);
  std::vector<std::string> out;
  for (const auto& body : s.accepted)
    for (const auto& stream : body["streams"])
      for (const auto& v : stream["values"])
        out.push_back(nlohmann::json::parse(v[1].get<std::string>())["msg"]);
  return out;
}

LokiSinkOptions FastOptions() {
  LokiSinkOptions o;
  o.url = "http://127.0.0.1:1/loki/api/v1/push";
  o.batch_max_wait = 20ms;
  o.min_backoff = 1ms;
  o.max_backoff = 5ms;
  return o;
}

class LokiSinkTest : public ::testing::Test {
 protected:
  std::shared_ptr<ScriptedPusher::State> server_ = std::make_shared<ScriptedPusher::State>();
  std::unique_ptr<LokiSink> Make(LokiSinkOptions o) {
    return std::make_unique<LokiSink>(std::move(o), std::make_unique<ScriptedPusher>(server_));
  }
  static auto Soon() { return std::chrono::steady_clock::now() + 5s; }
};

TEST_F(LokiSinkTest, PushesBufferedLinesInOrderOnceTheBatchIsOldEnough) {
  auto sink = Make(FastOptions());
  for (const char* m : {"one", "two", "three"}) sink->Write(Rec(m));
  ASSERT_TRUE(sink->Flush(Soon()));
  EXPECT_THAT(Messages(*server_), ElementsAre("one", "two", "three"));
  EXPECT_EQ(sink->pushed(), 3u);
  EXPECT_TRUE(server_->gzipped);  // gzip is on by default
}

TEST_F(LokiSinkTest, SplitsIntoBatchesOfAtMostBatchMaxBytes) {
  auto o = FastOptions();
  o.batch_max_bytes = 600;
  o.gzip = false;
  auto sink = Make(o);
  for (int i = 0; i < 20; ++i) sink->Write(Rec("line-" + std::to_string(i)));
  ASSERT_TRUE(sink->Flush(Soon()));
  const auto msgs = Messages(*server_);
  ASSERT_EQ(msgs.size(), 20u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(msgs[i], "line-" + std::to_string(i));
  EXPECT_GT(server_->accepted.size(), 3u);
  EXPECT_FALSE(server_->gzipped);
}

TEST_F(LokiSinkTest, StreamLabelsAreStaticAndBounded) {
  auto o = FastOptions();
  o.static_labels = {{"cluster", "prod"}};
  auto sink = Make(o);
  sink->Write(Rec("ready", {{"namespace", "team-a"}, {"workspace", "ws-1"}, {"pod", "ws-1"},
                            {"reconcileID", "0f3c"}}));
  sink->Write(Rec("hello", {}, LogLevel::kWarn));
  ASSERT_TRUE(sink->Flush(Soon()));
  std::lock_guard lock(server_->mu);
  const auto& streams = server_->accepted.at(0)["streams"];
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0]["stream"], (nlohmann::json{{"app", "tfws-operator"}, {"cluster", "prod"},
                                                  {"level", "info"}, {"namespace", "team-a"},
                                                  {"workspace", "ws-1"}}));
  EXPECT_EQ(streams[1]["stream"], (nlohmann::json{{"app", "tfws-operator"}, {"cluster", "prod"}, {"level", "warn"}}));
  // The line is the full JSON record, fields included; the timestamp is ns as a string.
  const auto value = streams[0]["values"][0];
  EXPECT_TRUE(value[0].is_string());
  EXPECT_GT(value[0].get<std::string>().size(), 18u);
  EXPECT_EQ(nlohmann::json::parse(value[1].get<std::string>())["reconcileID"], "0f3c");
}

TEST_F(LokiSinkTest, RetriesOn429And5xxAndConnectionErrorsKeepingOrderWithoutDuplicates) {
  server_->script = {0, 503, 429, 500};
  auto sink = Make(FastOptions());
  for (const char* m : {"a", "b", "c"}) sink->Write(Rec(m));
  ASSERT_TRUE(sink->Flush(Soon()));
  sink->Write(Rec("d"));
  ASSERT_TRUE(sink->Flush(Soon()));
  EXPECT_THAT(Messages(*server_), ElementsAre("a", "b", "c", "d"));
  EXPECT_EQ(server_->attempts, 6);
  EXPECT_EQ(sink->dropped(), 0u);
}

TEST_F(LokiSinkTest, ABatchTheServerCanNeverAcceptIsDroppedAndCounted) {
  server_->script = {400};
  auto o = FastOptions();
  o.registry = std::make_shared<prometheus::Registry>();
  auto sink = Make(o);
  ::testing::internal::CaptureStderr();
  sink->Write(Rec("bad"));
  ASSERT_TRUE(sink->Flush(Soon()));
  sink->Write(Rec("good"));
  ASSERT_TRUE(sink->Flush(Soon()));
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(Messages(*server_), ElementsAre("good"));
  EXPECT_EQ(sink->dropped(), 1u);
  EXPECT_EQ(testing::SampleValue(*o.registry, "tfws_log_lines_dropped_total", {{"sink", "loki"}}), 1.0);
  EXPECT_THAT(err, HasSubstr("Loki refused a batch"));
}

TEST_F(LokiSinkTest, BeyondTheBufferLimitNewLinesAreDroppedCountedAndReported) {
  auto o = FastOptions();
  o.max_buffered_bytes = 4000;
  o.registry = std::make_shared<prometheus::Registry>();
  EXPECT_EQ(testing::SampleValue(*o.registry, "tfws_log_lines_dropped_total", {{"sink", "loki"}}),
            std::nullopt);
  auto sink = Make(o);
  EXPECT_EQ(testing::SampleValue(*o.registry, "tfws_log_lines_dropped_total", {{"sink", "loki"}}), 0.0);
  {
    std::lock_guard lock(server_->mu);
    server_->hold = true;  // the server hangs: nothing leaves the buffer
  }
  ::testing::internal::CaptureStderr();
  int written = 100;
  for (int i = 0; i < written; ++i) sink->Write(Rec("line-" + std::to_string(i)));
  const auto dropped = sink->dropped();
  EXPECT_GT(dropped, 0u);
  EXPECT_LT(dropped, 100u);
  {
    std::lock_guard lock(server_->mu);
    server_->hold = false;
  }
  server_->cv.notify_all();
  ASSERT_TRUE(sink->Flush(Soon()));
  sink->Stop(Soon());
  const std::string err = ::testing::internal::GetCapturedStderr();
  // Every line accepted before the limit arrives, in order; the rest are counted.
  const auto msgs = Messages(*server_);
  ASSERT_EQ(msgs.size() + dropped, 100u);
  for (std::size_t i = 0; i < msgs.size(); ++i) EXPECT_EQ(msgs[i], "line-" + std::to_string(i));
  EXPECT_EQ(testing::SampleValue(*o.registry, "tfws_log_lines_dropped_total", {{"sink", "loki"}}),
            static_cast<double>(dropped));
  EXPECT_THAT(err, HasSubstr("dropped log lines"));
  EXPECT_THAT(err, HasSubstr("\"dropped\":" + std::to_string(dropped)));
}

TEST_F(LokiSinkTest, WriteNeverWaitsForTheServer) {
  {
    std::lock_guard lock(server_->mu);
    server_->hold = true;
  }
  auto sink = Make(FastOptions());
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000; ++i) sink->Write(Rec("x"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  {
    std::lock_guard lock(server_->mu);
    server_->hold = false;
  }
  server_->cv.notify_all();
  EXPECT_TRUE(sink->Flush(Soon()));
}

TEST_F(LokiSinkTest, StopGivesUpAtTheDeadlineCountingWhatIsLeft) {
  server_->script = std::deque<int>(100000, 503);
  auto o = FastOptions();
  o.registry = std::make_shared<prometheus::Registry>();
  auto sink = Make(o);
  ::testing::internal::CaptureStderr();
  sink->Write(Rec("never delivered"));
  EXPECT_FALSE(sink->Flush(std::chrono::steady_clock::now() + 50ms));
  const auto start = std::chrono::steady_clock::now();
  sink->Stop(std::chrono::steady_clock::now() + 100ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(sink->dropped(), 1u);
  sink->Write(Rec("after stop"));  // counted, not buffered
  EXPECT_EQ(sink->dropped(), 2u);
}

TEST(LokiPush, BodyGroupsLinesByLabelSetKeepingOrder) {
  std::deque<PendingLine> lines = {
      {{{"app", "x"}}, "1", "a", {}}, {{{"app", "y"}}, "2", "b", {}}, {{{"app", "x"}}, "3", "c", {}}};
  EXPECT_EQ(BuildPushBody(lines, 0, 3),
            R"({"streams":[{"stream":{"app":"x"},"values":[["1","a"],["3","c"]]},)"
            R"({"stream":{"app":"y"},"values":[["2","b"]]}]})");
}

TEST(LokiPush, GzipRoundTrips) {
  const std::string text(10000, 'z');
  const std::string packed = Gzip(text);
  EXPECT_LT(packed.size(), 200u);
  EXPECT_EQ(Gunzip(packed), text);
}

TEST(ParseLokiLabels, ReadsCommaSeparatedPairs) {
  EXPECT_EQ(ParseLokiLabels("cluster=prod, region=eu-1"),
            (LokiLabels{{"cluster", "prod"}, {"region", "eu-1"}}));
  EXPECT_TRUE(ParseLokiLabels("").empty());
}

TEST(ParseLokiLabels, RejectsBadNamesNamingTheFlag) {
  for (const char* bad : {"novalue", "1x=y", "a-b=c"}) {
    try {
      ParseLokiLabels(bad);
      ADD_FAILURE() << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), HasSubstr("--loki-labels"));
    }
  }
}

TEST(MakeHttpLokiPusher, RejectsANonHttpUrlNamingTheFlag) {
  LokiSinkOptions o;
  o.url = "loki:3100";
  EXPECT_THROW(MakeHttpLokiPusher(o), std::invalid_argument);
}

}  // namespace
}  // namespace tfws::observe
