// Keeps a Store equal to the server's view of one resource, and tells
// EventHandlers what changed. An explicit state machine on the caller's thread:
//
//   Empty -> Listing --ok--> Watching --server closed stream--> Watching
//               |                |--410 Gone / Expired--------> Listing (at once)
//               |                '--transport/other error-----> time::Backoff -> Watching
//               '--error--> time::Backoff -> Listing
//
// Listing is a streaming list where the server has one (a watch with
// sendInitialEvents=true, resourceVersionMatch=NotOlderThan and bookmarks: the
// current objects arrive as ADDED events, one at a time, each prepared (trimmed)
// as it is decoded, until the BOOKMARK annotated k8s.io/initial-events-end);
// when the server refuses it (400/403/422) or ends the stream without that
// bookmark, this and every later list reads pages (limit/continue) instead.
// Either way the result is swapped into the Store with Store::Replace, and
// adds, updates and the objects that disappeared while we were away (as
// deletions) are reported. Watching resumes from the last
// resourceVersion seen (bookmarks included) with allowWatchBookmarks and a
// server-side timeout drawn uniformly from [min,max] (default 5..10 min).
// time::Backoff waits are jittered (backoff.h: 800 ms doubling to 30 s), reset after
// a watch that ended cleanly or stayed healthy for `healthy_watch`. A watch the
// server closes within `short_watch` without a single event counts as a failure
// (backoff), so a server that ends every watch at once is not hammered.
//
// Run() blocks until stop is requested, then returns promptly (the watch
// stream is cancelled through the stop_token; backoff waits wake up). Handlers
// must be added before Run(). State()/LastResourceVersion() are thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "observe/log.h"
#include "time/backoff.h"
#include "time/clock.h"
#include "runtime/event_handler.h"
#include "runtime/lister_watcher.h"
#include "runtime/store.h"

namespace tfws::runtime {

enum class WatcherState { kEmpty, kListing, kWatching, kBackoff, kStopped };
const char* WatcherStateName(WatcherState state);

struct WatcherOptions {
  int page_size = 500;
  time::Duration min_watch_timeout = std::chrono::minutes(5);
  time::Duration max_watch_timeout = std::chrono::minutes(10);
  time::Duration initial_backoff = std::chrono::milliseconds(800);
  time::Duration max_backoff = std::chrono::seconds(30);
  double backoff_jitter = 1.0;
  time::Duration healthy_watch = std::chrono::minutes(1);
  time::Duration short_watch = std::chrono::seconds(1);
  bool streaming_list = true;     // try a streaming list before paging
  time::Clock* clock = nullptr;         // default: time::SystemClock
  time::RandomSource random;            // default: time::DefaultRandomSource()
  std::string name = "watcher";   // logger name suffix, e.g. "pods"
};

class Watcher {
 public:
  Watcher(ListerWatcher& lister_watcher, Store& store, WatcherOptions options = {});

  void AddHandler(std::shared_ptr<EventHandler> handler);
  // Called on every state transition (tests and health reporting).
  void SetStateObserver(std::function<void(WatcherState)> observer);

  void Run(std::stop_token stop);

  WatcherState State() const;
  std::string LastResourceVersion() const;
  // Number of completed lists (the first one included).
  int Lists() const;

 private:
  enum class WatchEnd { kClosed, kGone, kFailed, kStopped };
  void SetState(WatcherState state);
  void ListAndReplace(std::stop_token stop);
  // The current objects by streaming list; nullopt when the server has none.
  std::optional<std::pair<std::vector<PackedPtr>, std::string>> StreamList(std::stop_token stop);
  std::pair<std::vector<PackedPtr>, std::string> PagedList();
  int WatchTimeoutSeconds() const;
  WatchEnd WatchOnce(std::stop_token stop);
  bool ApplyEvent(kube::WatchEvent&& event, WatchEnd& end);
  void SetLastResourceVersion(std::string rv);
  template <typename F>
  void Notify(F&& call);

  ListerWatcher& lw_;
  Store& store_;
  WatcherOptions options_;
  time::Clock& clock_;
  time::Backoff backoff_;
  observe::Logger log_;
  std::vector<std::shared_ptr<EventHandler>> handlers_;
  std::function<void(WatcherState)> observer_;

  mutable std::mutex mu_;
  WatcherState state_ = WatcherState::kEmpty;
  std::string last_rv_;
  int lists_ = 0;
  bool streaming_list_ = true;  // watcher thread only: false once the server refused it
  long watch_events_ = 0;       // watcher thread only: events of the current watch
};

}  // namespace tfws::runtime
