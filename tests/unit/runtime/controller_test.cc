#include "runtime/controller.h"

#include <gtest/gtest.h>

#include <thread>

#include "support/fake_clock.h"

namespace tfws::runtime {
namespace {

using namespace std::chrono_literals;
using kube::Json;

class ScriptedReconciler final : public Reconciler {
 public:
  ReconcileResult Reconcile(const std::string& key, std::stop_token) override {
    std::lock_guard lock(mu);
    calls.push_back(key);
    if (next.empty()) return ReconcileResult::Done();
    auto step = next.front();
    next.erase(next.begin());
    return step();
  }
  std::mutex mu;
  std::vector<std::string> calls;
  std::vector<std::function<ReconcileResult()>> next;
};

class ResultMetrics final : public observe::ControllerMetrics {
 public:
  void ReconcileDone(observe::ReconcileResult r, observe::Seconds) override { results.push_back(r); }
  std::vector<observe::ReconcileResult> results;
};

class ControllerTest : public ::testing::Test {
 protected:
  ControllerOptions Options() {
    ControllerOptions o;
    o.name = "tfworkspace";
    o.workers = 2;
    o.clock = &clock;
    o.metrics = &metrics;
    o.rate_limiter = std::make_unique<ItemExponentialRateLimiter>();
    return o;
  }
  time::FakeClock clock;
  ResultMetrics metrics;
  ScriptedReconciler reconciler;
};

TEST_F(ControllerTest, SuccessForgetsTheKeysBackoff) {
  Controller c(reconciler, Options());
  c.queue().AddRateLimited("a/ws");
  clock.Advance(5ms);
  ASSERT_TRUE(c.ProcessNext({}));
  EXPECT_EQ(c.queue().NumRequeues("a/ws"), 0);
  EXPECT_EQ(metrics.results, std::vector<observe::ReconcileResult>{observe::ReconcileResult::kSuccess});
}

TEST_F(ControllerTest, AThrowingReconcileIsRetriedWithGrowingBackoff) {
  Controller c(reconciler, Options());
  reconciler.next = {[]() -> ReconcileResult { throw std::runtime_error("conflict"); },
                     [] { return ReconcileResult::Error("still failing"); }};
  c.queue().Add("a/ws");
  ASSERT_TRUE(c.ProcessNext({}));
  EXPECT_EQ(c.queue().Len(), 0u);
  EXPECT_EQ(c.queue().DelayedLen(), 1u);
  clock.Advance(5ms);
  ASSERT_TRUE(c.ProcessNext({}));
  clock.Advance(9ms);
  EXPECT_EQ(c.queue().Len(), 0u) << "second retry waits 10 ms";
  clock.Advance(1ms);
  ASSERT_TRUE(c.ProcessNext({}));
  EXPECT_EQ(reconciler.calls.size(), 3u);
  EXPECT_EQ(metrics.results, (std::vector<observe::ReconcileResult>{observe::ReconcileResult::kError,
                                                                    observe::ReconcileResult::kError,
                                                                    observe::ReconcileResult::kSuccess}));
}

TEST_F(ControllerTest, RequeueAfterRunsTheKeyAgainAfterTheDelay) {
  Controller c(reconciler, Options());
  reconciler.next = {[] { return ReconcileResult::RequeueAfter(30s); }};
  c.queue().Add("a/ws");
  ASSERT_TRUE(c.ProcessNext({}));
  clock.Advance(29s);
  EXPECT_EQ(c.queue().Len(), 0u);
  clock.Advance(1s);
  EXPECT_EQ(c.queue().Len(), 1u);
  EXPECT_EQ(c.queue().NumRequeues("a/ws"), 0) << "a planned requeue is not a failure";
  EXPECT_EQ(metrics.results[0], observe::ReconcileResult::kRequeueAfter);
}

TEST_F(ControllerTest, DoesNotReconcileBeforeItsInformersHaveSynced) {
  Store store;
  Controller c(reconciler, Options());
  c.DependsOn(store);
  c.queue().Add("a/ws");
  std::jthread run([&](std::stop_token stop) { c.Run(stop); });
  std::this_thread::sleep_for(50ms);
  {
    std::lock_guard lock(reconciler.mu);
    EXPECT_TRUE(reconciler.calls.empty());
  }
  store.Replace({}, "1");
  for (int i = 0; i < 1000; ++i) {
    {
      std::lock_guard lock(reconciler.mu);
      if (!reconciler.calls.empty()) break;
    }
    std::this_thread::sleep_for(5ms);
  }
  std::lock_guard lock(reconciler.mu);
  EXPECT_EQ(reconciler.calls, std::vector<std::string>{"a/ws"});
}

TEST_F(ControllerTest, RunStopsAndReturnsWhenStopIsRequested) {
  Store store;
  store.Replace({}, "1");
  Controller c(reconciler, Options());
  c.DependsOn(store);
  std::stop_source stop;
  std::thread run([&] { c.Run(stop.get_token()); });
  stop.request_stop();
  run.join();
  EXPECT_TRUE(c.queue().ShuttingDown());
}

Json Owned(const std::string& ns, const std::string& name, const std::string& api_version, const std::string& kind,
           const std::string& owner, bool controller) {
  return {{"metadata",
           {{"namespace", ns},
            {"name", name},
            {"ownerReferences", Json::array({{{"apiVersion", api_version},
                                              {"kind", kind},
                                              {"name", owner},
                                              {"uid", "u"},
                                              {"controller", controller}}})}}}};
}

TEST_F(ControllerTest, OwnedObjectsEnqueueTheirControllingOwner) {
  Controller c(reconciler, Options());
  auto handler = c.EnqueueOwner("tfws.io/v1alpha1", "TFWorkspace");
  auto obj = [](Json j) { return std::make_shared<const Json>(std::move(j)); };
  handler->OnAdd(obj(Owned("team-a", "ws-token", "tfws.io/v1alpha1", "TFWorkspace", "ws", true)));
  handler->OnDelete(obj(Owned("team-a", "pod", "tfws.io/v1beta1", "TFWorkspace", "other", true)));  // any version
  handler->OnAdd(obj(Owned("team-a", "x", "tfws.io/v1alpha1", "TFWorkspace", "not-controller", false)));
  handler->OnAdd(obj(Owned("team-a", "y", "apps/v1", "ReplicaSet", "rs", true)));
  handler->OnAdd(obj(Json{{"metadata", {{"namespace", "team-a"}, {"name", "orphan"}}}}));
  EXPECT_EQ(c.queue().Len(), 2u);
  EXPECT_EQ(c.queue().Get(), "team-a/ws");
  EXPECT_EQ(c.queue().Get(), "team-a/other");
}

TEST_F(ControllerTest, OwnObjectsEnqueueTheirOwnKey) {
  Controller c(reconciler, Options());
  auto handler = c.EnqueueSelf();
  auto ws = std::make_shared<const Json>(Json{{"metadata", {{"namespace", "team-a"}, {"name", "ws"}}}});
  handler->OnAdd(ws);
  handler->OnUpdate(ws, ws);
  EXPECT_EQ(c.queue().Len(), 1u);
  EXPECT_EQ(c.queue().Get(), "team-a/ws");
}

}  // namespace
}  // namespace tfws::runtime
