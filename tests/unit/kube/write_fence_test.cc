// The write fence: terms that end on the clock alone or when closed, and the
// transport that refuses writes outside a term and cancels those in flight
// (and their retries) the moment the term ends.
#include "kube/write_fence.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "kube/retrying_transport.h"
#include "scripted_transport.h"
#include "support/fake_clock.h"

namespace tfws::kube {
namespace {

using namespace std::chrono_literals;
using testing::ScriptedTransport;

bool Eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 5000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

HttpRequest Request(const std::string& method) {
  HttpRequest r;
  r.method = method;
  r.path = "/api/v1/namespaces/a/services/ws";
  r.idempotent = method != "POST";
  return r;
}

// Holds every request until its cancel token is requested, then fails as the
// cpprest transport does: a request stuck in flight.
class HangingTransport final : public Transport {
 public:
  HttpResponse Send(const HttpRequest& request) override {
    std::unique_lock lock(mu_);
    ++entered_;
    entered_cv_.notify_all();
    std::condition_variable_any cv;
    cv.wait(lock, request.cancel, [] { return false; });
    throw TransportError(request.method + " " + request.path + ": cancelled in flight");
  }
  HttpResponse Stream(const HttpRequest& request, const ChunkHandler&, std::stop_token) override {
    return Send(request);
  }
  std::string Host() const override { return "https://127.0.0.1:6443"; }
  void WaitEntered() {
    std::unique_lock lock(mu_);
    entered_cv_.wait_for(lock, 5s, [this] { return entered_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable entered_cv_;
  int entered_ = 0;
};

TEST(WriteFence, IsClosedUntilOpenedAndEndsItsTermOnTheClockAlone) {
  time::FakeClock clock;
  WriteFence fence(clock);
  EXPECT_FALSE(fence.Admit()) << "no term before the Lease is acquired";
  std::stop_token term = fence.Open(clock.Now() + 10s);
  ASSERT_TRUE(fence.Admit());
  ASSERT_TRUE(clock.BlockUntilSleeping(1)) << "the timer waits for the term's end";
  clock.Advance(10s - 1ms);
  EXPECT_TRUE(fence.IsOpen());
  EXPECT_FALSE(term.stop_requested());
  clock.Advance(1ms);
  // Nobody calls the fence: its timer ends the term at that instant.
  EXPECT_TRUE(Eventually([&] { return term.stop_requested(); }));
  EXPECT_FALSE(fence.Admit());
}

TEST(WriteFence, AnExtensionMovesTheEndButAnEndedTermStaysEnded) {
  time::FakeClock clock;
  WriteFence fence(clock);
  std::stop_token term = fence.Open(clock.Now() + 10s);
  clock.Advance(6s);
  ASSERT_TRUE(fence.Extend(clock.Now() + 10s));  // a renewal
  clock.Advance(9s);
  EXPECT_FALSE(term.stop_requested()) << "15 s after opening, 9 s after the renewal";
  EXPECT_TRUE(fence.IsOpen());
  fence.Close();
  EXPECT_TRUE(term.stop_requested()) << "Close ends the term synchronously";
  EXPECT_FALSE(fence.Extend(clock.Now() + 10s)) << "a late renewal does not reopen it";
  EXPECT_FALSE(fence.IsOpen());
  std::stop_token next = fence.Open(clock.Now() + 10s);
  EXPECT_TRUE(fence.IsOpen());
  EXPECT_FALSE(next.stop_requested()) << "a new term has a token of its own";
  EXPECT_TRUE(term.stop_requested());
}

TEST(WriteFence, AFrozenReplicaIsFencedByItsFirstWriteEvenBeforeTheTimerRuns) {
  time::FakeClock clock;
  WriteFence fence(clock);
  std::stop_token term = fence.Open(clock.Now() + 10s);
  clock.Advance(30s);  // a SIGSTOP; Admit may run before the timer thread does
  EXPECT_FALSE(fence.Admit());
  EXPECT_TRUE(term.stop_requested());
}

TEST(FencedTransport, RefusesAWriteOutsideATermUnsentButLetsReadsThrough) {
  time::FakeClock clock;
  auto fence = std::make_shared<WriteFence>(clock);
  auto inner = std::make_shared<ScriptedTransport>();
  FencedTransport transport(inner, fence);
  inner->Push(200, "{}");
  EXPECT_EQ(transport.Send(Request("GET")).status, 200);
  for (const char* method : {"POST", "PUT", "PATCH", "DELETE"}) {
    try {
      transport.Send(Request(method));
      FAIL() << method << " went out while fenced";
    } catch (const FencedError& e) {
      EXPECT_NE(std::string(e.what()).find("does not hold the leader Lease (fenced)"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(inner->requests.size(), 1u) << "only the GET was sent";
  fence->Open(clock.Now() + 10s);
  inner->Push(201, "{}");
  EXPECT_EQ(transport.Send(Request("POST")).status, 201);
  ASSERT_EQ(inner->requests.size(), 2u);
  EXPECT_TRUE(inner->requests.back().cancel.stop_possible()) << "the write carries the term's token";
  EXPECT_FALSE(inner->requests.front().cancel.stop_possible()) << "reads do not";
}

TEST(FencedTransport, AWriteInFlightIsCancelledTheMomentTheTermEnds) {
  time::FakeClock clock;
  auto fence = std::make_shared<WriteFence>(clock);
  auto inner = std::make_shared<HangingTransport>();
  FencedTransport transport(inner, fence);
  fence->Open(clock.Now() + 10s);
  auto call = std::async(std::launch::async, [&] { transport.Send(Request("PATCH")); });
  inner->WaitEntered();
  EXPECT_EQ(call.wait_for(50ms), std::future_status::timeout) << "in flight until the term ends";
  fence->Close();  // the elector lost the Lease
  ASSERT_EQ(call.wait_for(5s), std::future_status::ready);
  try {
    call.get();
    FAIL() << "the write completed";
  } catch (const FencedError& e) {
    EXPECT_NE(std::string(e.what()).find("cancelled in flight: this replica lost the leader Lease"), std::string::npos)
        << e.what();
  }
}

TEST(FencedTransport, ATermEndingDuringARetryWaitEndsTheWaitAndStartsNoOtherAttempt) {
  time::FakeClock clock;
  auto fence = std::make_shared<WriteFence>(clock);
  auto scripted = std::make_shared<ScriptedTransport>();
  scripted->Push(503);
  scripted->Push(200);
  RetryingTransport::Dependencies deps;
  deps.clock = &clock;
  deps.random = [] { return 0.0; };
  FencedTransport transport(std::make_shared<RetryingTransport>(scripted, RetryPolicy{}, deps), fence);
  fence->Open(clock.Now() + 10s);
  auto call = std::async(std::launch::async, [&] { transport.Send(Request("PUT")); });
  // Parked: the fence's timer and the retry's 200 ms backoff.
  ASSERT_TRUE(clock.BlockUntilSleeping(2));
  fence->Close();
  ASSERT_EQ(call.wait_for(5s), std::future_status::ready) << "the backoff wait ended with the term";
  EXPECT_THROW(call.get(), FencedError);
  EXPECT_EQ(scripted->requests.size(), 1u) << "no attempt after the term ended";
}

}  // namespace
}  // namespace tfws::kube
