// When a workspace that could not make progress is tried again, with the one
// backoff policy (time::Backoff, no jitter so the schedule is predictable).
//
// Keyed by workspace ("namespace/name") and by cause (a stable string such as
// "Service/alice" or a failed Pod's UID). A cause counts once: Failed() for
// the cause already recorded does not advance the schedule again, so a second
// pass over the same failure (another watch event, our own status write)
// neither doubles the wait nor repeats the write. A new cause starts over.
// Thread-safe; the work queue runs one pass per key at a time.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "time/backoff.h"
#include "workspace/conditions.h"

namespace tfws::workspace {

struct RetryPolicy {
  std::chrono::seconds initial;
  std::chrono::seconds max;
};

// A child (or the Pod) refused by the API server for a reason that may pass
// without a spec change and that the operator cannot watch (an admission
// policy or webhook, a server error): 5 s doubling to 60 s, so a lifted rule
// is noticed within a minute at a cost of one write a minute per blocked
// workspace.
inline constexpr RetryPolicy kRefusedRetry{std::chrono::seconds(5), std::chrono::seconds(60)};
// Refused by a ResourceQuota: the controller watches quotas and retries at
// once when one changes (RetryNowBlockedBy), so the timed retry is only a
// safety net: 10 min doubling to 1 h. A blocked workspace writes nothing at
// rest.
inline constexpr RetryPolicy kQuotaRetry{std::chrono::minutes(10), std::chrono::hours(1)};
// A Pod that failed: the next Pod after 10 s doubling to 5 min.
inline constexpr RetryPolicy kPodFailureRetry{std::chrono::seconds(10), std::chrono::seconds(300)};
// A name held by someone else's object, looked up again (a read, no write):
// 5 s doubling to 60 s.
inline constexpr RetryPolicy kNameConflictRetry{std::chrono::seconds(5), std::chrono::seconds(60)};

class RetrySchedule {
 public:
  struct Pending {
    std::chrono::seconds wait;  // until the next try
    Condition blocker;          // what the last try ran into
  };

  // Records that `cause` failed at `now` with `blocker`. Returns true when
  // this is a new cause (or the recorded one's wait has passed), i.e. a
  // transition worth counting.
  bool Failed(const std::string& key, const std::string& cause, const RetryPolicy& policy, time::WallTime now,
              Condition blocker);
  // When `cause` must still wait at `now`: how long and why. nullopt when it
  // may be tried now (never failed, or its time has come).
  std::optional<Pending> Wait(const std::string& key, const std::string& cause, time::WallTime now) const;
  // The cause of `key` succeeded (or the workspace is gone): start over.
  void Forget(const std::string& key, const std::string& cause);
  void ForgetAll(const std::string& key);
  // Whether `cause` of `key` has failed in this process (and was not forgotten
  // since): when not, what status says is all there is to know about it.
  bool Known(const std::string& key, const std::string& cause) const;
  // The causes of `key` whose last blocker had `reason` may be tried at once:
  // their watched cause changed (a ResourceQuota for QuotaExceeded). They stay
  // Known, so the next try is not skipped on what status still says. A try
  // that fails again is tried once more after kAfterWatchedChange: the API
  // server's admission may not have seen the change yet when our watch did
  // (measured: a quota's new status reached the operator 19 ms after the
  // controller wrote it, and quota admission still refused the Pod).
  void RetryNowBlockedBy(const std::string& key, const std::string& reason, time::WallTime now);
  static constexpr std::chrono::seconds kAfterWatchedChange{2};

 private:
  struct Entry {
    time::Backoff backoff;
    time::WallTime next;
    Condition blocker;
    bool watched_cause_changed = false;  // RetryNowBlockedBy since the last try
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, Entry> entries_;
};

// The process-wide schedule of the reconciler.
RetrySchedule& Retries();

}  // namespace tfws::workspace
