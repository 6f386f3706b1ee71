#include "runtime/manager.h"

#include <gtest/gtest.h>

#include <thread>

#include "unit/runtime/scripted_lister_watcher.h"

namespace tfws::runtime {
namespace {

using namespace std::chrono_literals;

class RecordingReconciler final : public Reconciler {
 public:
  ReconcileResult Reconcile(const std::string& key, std::stop_token) override {
    {
      std::lock_guard lock(mu_);
      keys_.push_back(key);
    }
    cv_.notify_all();
    return ReconcileResult::Done();
  }
  bool WaitFor(const std::string& key) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 10s, [&] { return std::find(keys_.begin(), keys_.end(), key) != keys_.end(); });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> keys_;
};

TEST(Manager, RunsInformersAndControllersUntilStopThenShutsDownCleanly) {
  auto lw = std::make_unique<testing::ScriptedListerWatcher>();
  lw->ScriptWatch({{}, testing::WatchSession::End::kRefused});  // no streaming list: pages
  lw->ScriptList(testing::ListPage({testing::ObjectAt("team-a", "ws", "1")}, "2"));
  Manager manager(ManagerOptions{});
  Informer& informer = manager.AddInformer("tfworkspaces", std::move(lw));
  RecordingReconciler reconciler;
  ControllerOptions options;
  options.name = "tfworkspace";
  options.workers = 1;
  Controller& controller = manager.AddController(reconciler, std::move(options));
  controller.DependsOn(informer.store());
  informer.AddHandler(controller.EnqueueSelf());
  EXPECT_THROW(manager.AddInformer("tfworkspaces", std::make_unique<testing::ScriptedListerWatcher>()),
               std::invalid_argument);

  std::stop_source stop;
  Manager::Outcome outcome{};
  std::thread run([&] { outcome = manager.Run(stop.get_token()); });
  ASSERT_TRUE(reconciler.WaitFor("team-a/ws"));
  EXPECT_TRUE(manager.Synced());
  EXPECT_TRUE(manager.IsLeader()) << "without leader election every replica leads";
  EXPECT_TRUE(manager.Healthy());
  stop.request_stop();
  run.join();
  EXPECT_EQ(outcome, Manager::Outcome::kStopped);
  EXPECT_EQ(informer.watcher().State(), WatcherState::kStopped);
}

}  // namespace
}  // namespace tfws::runtime
