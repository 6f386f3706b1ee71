#include "kube/retrying_transport.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scripted_transport.h"
#include "support/fake_clock.h"

namespace tfws::kube {
namespace {

using std::chrono::milliseconds;
using time::FakeClock;
using testing::ScriptedTransport;

struct RecordingMetrics : observe::RequestMetrics {
  void RequestDone(std::string_view method, std::string_view host, int code,
                   observe::Seconds) override {
    calls.push_back(std::string(method) + " " + std::string(host) + " " + std::to_string(code));
  }
  void Throttled(std::string_view flow_schema_uid, std::string_view priority_level_uid) override {
    throttled.push_back(std::string(flow_schema_uid) + "/" + std::string(priority_level_uid));
  }
  std::vector<std::string> calls;
  std::vector<std::string> throttled;
};

class CountingCredentials : public CredentialSource {
 public:
  Credentials Get() override { return {"t" + std::to_string(invalidations), {}, {}}; }
  bool Invalidate() override {
    ++invalidations;
    return true;
  }
  int invalidations = 0;
};

class RetryingTransportTest : public ::testing::Test {
 protected:
  RetryingTransportTest() { clock_.SetAdvanceOnSleep(true); }
  RetryingTransport Make(RetryPolicy policy = {}, std::shared_ptr<time::TokenBucket> limiter = nullptr) {
    RetryingTransport::Dependencies deps;
    deps.clock = &clock_;
    deps.metrics = &metrics_;
    deps.credentials = credentials_;
    deps.rate_limiter = std::move(limiter);
    deps.random = [] { return 0.0; };  // no jitter: waits are exact
    return RetryingTransport(inner_, policy, deps);
  }
  static HttpRequest Get() {
    HttpRequest r;
    r.method = "GET";
    r.path = "/api/v1/pods";
    r.idempotent = true;
    return r;
  }
  static HttpRequest Post() {
    HttpRequest r;
    r.method = "POST";
    r.path = "/api/v1/namespaces/a/pods";
    return r;
  }
  FakeClock clock_;
  RecordingMetrics metrics_;
  std::shared_ptr<CountingCredentials> credentials_ = std::make_shared<CountingCredentials>();
  std::shared_ptr<ScriptedTransport> inner_ = std::make_shared<ScriptedTransport>();
};

TEST_F(RetryingTransportTest, RetriesAnIdempotentRequestOn5xxWithExponentialBackoff) {
  inner_->Push(503);
  inner_->Push(500);
  inner_->Push(200, "ok");
  auto transport = Make();
  EXPECT_EQ(transport.Send(Get()).body, "ok");
  EXPECT_EQ(inner_->requests.size(), 3u);
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(clock_.slept()), milliseconds(200 + 400));
  EXPECT_THAT(metrics_.calls,
              ::testing::ElementsAre("GET 127.0.0.1:6443 503", "GET 127.0.0.1:6443 500",
                                     "GET 127.0.0.1:6443 200"));
}

TEST_F(RetryingTransportTest, NeverRetriesANonIdempotentRequestOn5xxOrTransportErrors) {
  inner_->Push(503);
  auto transport = Make();
  EXPECT_EQ(transport.Send(Post()).status, 503);
  inner_->PushFailure("connection reset");
  EXPECT_THROW(transport.Send(Post()), TransportError);
  EXPECT_EQ(inner_->requests.size(), 2u);
  EXPECT_THAT(metrics_.calls.back(), "POST 127.0.0.1:6443 0");
}

TEST_F(RetryingTransportTest, RetriesTooManyRequestsForEveryVerbHonouringRetryAfter) {
  inner_->Push(429, "{}", {{"retry-after", "3"}});
  inner_->Push(201, "created");
  auto transport = Make();
  EXPECT_EQ(transport.Send(Post()).status, 201);
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(3));
}

TEST_F(RetryingTransportTest, ReportsThePriorityAndFairnessClassOfEvery429) {
  inner_->Push(429, "{}",
               {{"retry-after", "1"},
                {"x-kubernetes-pf-flowschema-uid", "fs-1"},
                {"x-kubernetes-pf-prioritylevel-uid", "pl-1"}});
  inner_->Push(429, "{}", {{"retry-after", "1"}});  // no APF headers: empty labels
  inner_->Push(200);
  auto transport = Make();
  EXPECT_EQ(transport.Send(Get()).status, 200);
  EXPECT_THAT(metrics_.throttled, ::testing::ElementsAre("fs-1/pl-1", "/"));
}

TEST_F(RetryingTransportTest, RetriesAServerErrorWithRetryAfterForEveryVerbAfterThatWait) {
  inner_->Push(503, "{}", {{"retry-after", "2"}});
  inner_->Push(201, "created");
  auto transport = Make();
  EXPECT_EQ(transport.Send(Post()).status, 201);
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(2));
  inner_->Push(501, "{}", {{"retry-after", "2"}});  // Not Implemented never gets better
  EXPECT_EQ(transport.Send(Get()).status, 501);
}

TEST_F(RetryingTransportTest, ARetryAfterThatIsNotWholeSecondsFallsBackToTheBackoff) {
  inner_->Push(429, "{}", {{"retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"}});
  inner_->Push(429, "{}", {{"retry-after", "3s"}});
  inner_->Push(429, "{}", {{"retry-after", "-1"}});
  inner_->Push(200);
  auto transport = Make();
  EXPECT_EQ(transport.Send(Post()).status, 200);
  EXPECT_EQ(clock_.slept(), milliseconds(200 + 400 + 800));
}

TEST_F(RetryingTransportTest, RetryAfterIsCappedAndNeverOutlivesTheDeadline) {
  inner_->Push(429, "{}", {{"retry-after", "3600"}});
  inner_->Push(200);
  auto transport = Make(RetryPolicy{5, milliseconds(200), milliseconds(10'000), std::chrono::seconds(60)});
  HttpRequest request = Get();
  request.deadline = std::chrono::minutes(5);
  EXPECT_EQ(transport.Send(request).status, 200);
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(60));

  inner_->Push(429, "{}", {{"retry-after", "5"}});
  request.deadline = std::chrono::seconds(2);  // the server asks for more than is left: its answer
  EXPECT_EQ(transport.Send(request).status, 429);
  EXPECT_EQ(clock_.slept(), std::chrono::seconds(60));
}

TEST_F(RetryingTransportTest, RetriesTransportErrorsOfIdempotentRequests) {
  inner_->PushFailure("connection refused");
  inner_->Push(200);
  auto transport = Make();
  EXPECT_EQ(transport.Send(Get()).status, 200);
}

TEST_F(RetryingTransportTest, GivesUpAfterMaxAttemptsAndReturnsTheLastAnswer) {
  for (int i = 0; i < 3; ++i) inner_->Push(503, "busy");
  auto transport = Make(RetryPolicy{3});
  EXPECT_EQ(transport.Send(Get()).status, 503);
  EXPECT_EQ(inner_->requests.size(), 3u);
}

TEST_F(RetryingTransportTest, TheDeadlineBoundsAllAttemptsTogether) {
  for (int i = 0; i < 5; ++i) inner_->PushFailure("connection refused");
  HttpRequest request = Get();
  request.deadline = milliseconds(700);  // room for waits of 200 + 400, not for the next 800
  auto transport = Make();
  EXPECT_THAT([&] { transport.Send(request); },
              ::testing::ThrowsMessage<TransportError>(
                  ::testing::HasSubstr("deadline of 700 ms exceeded")));
  EXPECT_EQ(inner_->requests.size(), 3u);
  EXPECT_LT(inner_->requests[2].deadline, milliseconds(700));  // each attempt gets what is left
}

TEST_F(RetryingTransportTest, RefreshesCredentialsOnceAfter401) {
  inner_->Push(401);
  inner_->Push(200);
  auto transport = Make();
  EXPECT_EQ(transport.Send(Post()).status, 200);
  EXPECT_EQ(credentials_->invalidations, 1);
  inner_->Push(401);
  inner_->Push(401);
  EXPECT_EQ(transport.Send(Post()).status, 401);  // a second 401 is the answer
  EXPECT_EQ(credentials_->invalidations, 2);
}

TEST_F(RetryingTransportTest, EveryAttemptWaitsForTheRateLimiter) {
  auto limiter = std::make_shared<time::TokenBucket>(10, 1, clock_);
  for (int i = 0; i < 3; ++i) inner_->Push(200);
  auto transport = Make({}, limiter);
  for (int i = 0; i < 3; ++i) transport.Send(Get());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(clock_.slept()), milliseconds(200));
}

TEST_F(RetryingTransportTest, TheRateLimiterStandsAsideOnceTheServerShowsPriorityAndFairness) {
  auto limiter = std::make_shared<time::TokenBucket>(10, 1, clock_);
  inner_->Push(200);  // an answer without flow-control headers: still limited
  inner_->Push(200, "{}", {{"x-kubernetes-pf-flowschema-uid", "fs-1"}, {"x-kubernetes-pf-prioritylevel-uid", "pl-1"}});
  for (int i = 0; i < 5; ++i) inner_->Push(200);
  RetryingTransport::Dependencies deps;
  deps.clock = &clock_;
  deps.rate_limiter = limiter;
  deps.limit_until_flow_control = true;
  RetryingTransport transport(inner_, {}, deps);
  for (int i = 0; i < 7; ++i) transport.Send(Get());
  // The first token was free (burst 1), the second waited 100 ms; the second answer carried the
  // headers, so the five after it did not wait at all.
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(clock_.slept()), milliseconds(100));
}

TEST_F(RetryingTransportTest, WithoutLimitUntilFlowControlTheLimitHoldsWhateverTheServerSays) {
  auto limiter = std::make_shared<time::TokenBucket>(10, 1, clock_);
  for (int i = 0; i < 3; ++i) inner_->Push(200, "{}", {{"x-kubernetes-pf-flowschema-uid", "fs-1"}});
  auto transport = Make({}, limiter);
  for (int i = 0; i < 3; ++i) transport.Send(Get());
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(clock_.slept()), milliseconds(200));
}

TEST_F(RetryingTransportTest, BackoffDoublesUpToTheCap) {
  for (int i = 0; i < 6; ++i) inner_->Push(503);
  inner_->Push(200);
  auto transport = Make(RetryPolicy{10, milliseconds(100), milliseconds(1000)});
  EXPECT_EQ(transport.Send(Get()).status, 200);
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(clock_.slept()), milliseconds(100 + 200 + 400 + 800 + 1000 + 1000));
}

TEST_F(RetryingTransportTest, JitterStretchesEachWaitByUpToItsFactor) {
  inner_->Push(503);
  inner_->Push(200);
  RetryingTransport::Dependencies deps;
  deps.clock = &clock_;
  deps.random = [] { return 0.5; };
  RetryingTransport transport(inner_, RetryPolicy{5, milliseconds(200), milliseconds(1000), std::chrono::seconds(60), 0.5}, deps);
  EXPECT_EQ(transport.Send(Get()).status, 200);
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(clock_.slept()), milliseconds(250));
}

TEST_F(RetryingTransportTest, StreamsAreNeverRetried) {
  inner_->PushFailure("reset");
  auto transport = Make();
  EXPECT_THROW(transport.Stream(Get(), [](std::string_view) { return true; }, {}), TransportError);
  EXPECT_EQ(inner_->requests.size(), 1u);
}

}  // namespace
}  // namespace tfws::kube
