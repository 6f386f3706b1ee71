// The reconcile loop: N workers take keys from a WorkQueue and call a
// Reconciler. Level-triggered: a key says "look at this object again", never
// what changed.
//
//   Reconcile returns Done          -> Forget(key) (reset its backoff)
//   Reconcile returns RequeueAfter  -> Forget(key), AddAfter(key, d)
//   Reconcile returns Requeue       -> AddRateLimited(key) (counted as requeue)
//   Reconcile throws / Error(...)   -> AddRateLimited(key), logged, counted as error
//
// The work queue guarantees one worker per key. Run() waits until every
// informer it depends on has synced before the first reconcile; it returns
// after stop is requested and the workers drained (bounded by drain_timeout).
// Thread-safe; the Reconciler must be safe to call from `workers` threads.
#pragma once

#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "observe/log.h"
#include "observe/machinery_metrics.h"
#include "runtime/event_handler.h"
#include "runtime/store.h"
#include "runtime/work_queue.h"

namespace tfws::runtime {

class ReconcileResult {
 public:
  enum class Kind { kDone, kRequeueAfter, kRequeue, kError };

  static ReconcileResult Done() { return ReconcileResult(Kind::kDone, {}, {}); }
  static ReconcileResult RequeueAfter(time::Duration d) { return ReconcileResult(Kind::kRequeueAfter, d, {}); }
  // Try again with the rate limiter's backoff, without it being an error.
  static ReconcileResult Requeue() { return ReconcileResult(Kind::kRequeue, {}, {}); }
  // A failure the reconciler reports without throwing (same handling as a throw).
  static ReconcileResult Error(std::string message) { return ReconcileResult(Kind::kError, {}, std::move(message)); }

  Kind kind() const { return kind_; }
  time::Duration after() const { return after_; }
  const std::string& message() const { return message_; }

 private:
  ReconcileResult(Kind kind, time::Duration after, std::string message)
      : kind_(kind), after_(after), message_(std::move(message)) {}
  Kind kind_;
  time::Duration after_;
  std::string message_;
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  // key is "namespace/name" (or "name"). `stop` is requested at shutdown or
  // when leadership is lost: long operations should give up.
  virtual ReconcileResult Reconcile(const std::string& key, std::stop_token stop) = 0;
};

struct ControllerOptions {
  std::string name = "controller";  // metrics/log label, e.g. "tfworkspace"
  int workers = 4;
  time::Duration drain_timeout = std::chrono::seconds(30);
  time::Duration metrics_interval = std::chrono::seconds(1);  // QueueMetrics::InProgress sampling
  time::Clock* clock = nullptr;                                // default time::SystemClock
  std::unique_ptr<RateLimiter> rate_limiter;             // default DefaultControllerRateLimiter
  observe::QueueMetrics* queue_metrics = nullptr;
  observe::ControllerMetrics* metrics = nullptr;
};

class Controller {
 public:
  Controller(Reconciler& reconciler, ControllerOptions options);
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  const std::string& name() const { return name_; }
  WorkQueue& queue() { return queue_; }

  // The controller will not reconcile until these stores are synced.
  void DependsOn(const Store& store) { dependencies_.push_back(&store); }

  // Handler that enqueues each changed object's own key.
  std::shared_ptr<EventHandler> EnqueueSelf();
  // Handler that maps an owned object to its controlling owner's key: the
  // ownerReference with controller=true whose apiVersion group and kind match
  // (version ignored, as in controller-runtime). Objects without one are ignored.
  // The key goes to the queue's follow-up lane (work the owner's pass started).
  std::shared_ptr<EventHandler> EnqueueOwner(const std::string& owner_api_version,
                                             const std::string& owner_kind);

  // Blocks: waits for sync, runs the workers until stop, then drains.
  // Returns false when stop came before the informers synced.
  bool Run(std::stop_token stop);

  // Work one key (exposed for tests): takes from the queue, reconciles, settles.
  // Returns false when the queue is shut down.
  bool ProcessNext(std::stop_token stop);

 private:
  std::string name_;
  int workers_;
  time::Duration drain_timeout_;
  time::Duration metrics_interval_;
  time::Clock& clock_;
  observe::ControllerMetrics default_metrics_;
  observe::ControllerMetrics* metrics_;
  WorkQueue queue_;
  Reconciler& reconciler_;
  std::vector<const Store*> dependencies_;
  observe::Logger log_;
  std::atomic<int> active_workers_{0};
};

}  // namespace tfws::runtime
