#include "runtime/controller.h"

#include <thread>

namespace tfws::runtime {

Controller::Controller(Reconciler& reconciler, ControllerOptions options)
    : name_(options.name),
      workers_(options.workers > 0 ? options.workers : 1),
      drain_timeout_(options.drain_timeout),
      metrics_interval_(options.metrics_interval),
      clock_(options.clock ? *options.clock : time::SystemClock::Instance()),
      metrics_(options.metrics ? options.metrics : &default_metrics_),
      queue_(clock_, options.rate_limiter ? std::move(options.rate_limiter) : DefaultControllerRateLimiter(clock_),
             options.queue_metrics),
      reconciler_(reconciler),
      log_(observe::Logger("runtime.controller").With("controller", name_)) {
  metrics_->MaxConcurrentReconciles(workers_);
  metrics_->ActiveWorkers(0);
}

std::shared_ptr<EventHandler> Controller::EnqueueSelf() {
  auto handler = std::make_shared<FuncEventHandler>();
  WorkQueue* queue = &queue_;
  handler->on_add = [queue](const ObjectPtr& o) { queue->Add(KeyOf(*o)); };
  handler->on_update = [queue](const ObjectPtr&, const ObjectPtr& o) { queue->Add(KeyOf(*o)); };
  handler->on_delete = [queue](const ObjectPtr& o) { queue->Add(KeyOf(*o)); };
  return handler;
}

std::shared_ptr<EventHandler> Controller::EnqueueOwner(const std::string& owner_api_version,
                                                       const std::string& owner_kind) {
  auto handler = std::make_shared<FuncEventHandler>();
  WorkQueue* queue = &queue_;
  auto enqueue = [queue, group = GroupOf(owner_api_version), owner_kind](const ObjectPtr& o) {
    auto owner = ControllerOf(*o);
    if (!owner || owner->kind != owner_kind || GroupOf(owner->api_version) != group) return;
    queue->Add(MakeKey(NamespaceOf(*o), owner->name), WorkQueue::Lane::kFollowUp);
  };
  handler->on_add = enqueue;
  handler->on_update = [enqueue](const ObjectPtr& old_object, const ObjectPtr& new_object) {
    // An ownership change notifies the old owner too.
    enqueue(old_object);
    enqueue(new_object);
  };
  handler->on_delete = enqueue;
  return handler;
}

bool Controller::ProcessNext(std::stop_token stop) {
  auto key = queue_.Get(stop);
  if (!key) return false;
  int active = ++active_workers_;
  metrics_->ActiveWorkers(active);
  time::TimePoint started = clock_.Now();
  observe::ReconcileResult outcome = observe::ReconcileResult::kError;
  try {
    ReconcileResult result = reconciler_.Reconcile(*key, stop);
    switch (result.kind()) {
      case ReconcileResult::Kind::kDone:
        queue_.Forget(*key);
        outcome = observe::ReconcileResult::kSuccess;
        break;
      case ReconcileResult::Kind::kRequeueAfter:
        queue_.Forget(*key);
        queue_.AddAfter(*key, result.after());
        outcome = observe::ReconcileResult::kRequeueAfter;
        break;
      case ReconcileResult::Kind::kRequeue:
        queue_.AddRateLimited(*key);
        outcome = observe::ReconcileResult::kRequeue;
        break;
      case ReconcileResult::Kind::kError:
        log_.Error("reconcile failed; will retry",
                   {{"key", *key}, {"error", result.message()}, {"retries", queue_.NumRequeues(*key)}});
        queue_.AddRateLimited(*key);
        outcome = observe::ReconcileResult::kError;
        break;
    }
  } catch (const std::exception& e) {
    log_.Error("reconcile failed; will retry",
               {{"key", *key}, {"error", e.what()}, {"retries", queue_.NumRequeues(*key)}});
    queue_.AddRateLimited(*key);
    outcome = observe::ReconcileResult::kError;
  }
  metrics_->ReconcileDone(outcome, clock_.Now() - started);
  queue_.Done(*key);
  active = --active_workers_;
  metrics_->ActiveWorkers(active);
  return true;
}

bool Controller::Run(std::stop_token stop) {
  for (const Store* store : dependencies_) {
    if (!store->WaitForSync(stop)) {
      queue_.ShutDown();
      return false;
    }
  }
  log_.Info("starting workers", {{"workers", workers_}});
  std::vector<std::jthread> threads;
  for (int i = 0; i < workers_; ++i) {
    threads.emplace_back([this, stop] {
      while (ProcessNext(stop)) {
      }
    });
  }
  std::jthread sampler([this, stop] {
    while (clock_.SleepFor(metrics_interval_, stop)) queue_.ReportInProgress();
  });

  // Wait for stop.
  {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait(lock, stop, [] { return false; });
  }
  log_.Info("stopping: draining workers",
            {{"timeoutSeconds", std::chrono::duration<double>(drain_timeout_).count()}});
  if (!queue_.ShutDownWithDrain(drain_timeout_)) {
    log_.Warn("workers still busy after the drain timeout; waiting for them to return");
  }
  threads.clear();  // joins
  log_.Info("stopped");
  return true;
}

}  // namespace tfws::runtime
