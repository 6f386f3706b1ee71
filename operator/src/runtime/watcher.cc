#include "runtime/watcher.h"

#include "kube/api_error.h"

namespace tfws::runtime {
namespace {

// "PodList" -> "Pod": list items come without apiVersion/kind; the cache keeps
// them like watch events carry them.
void StampKind(kube::Json& item, const std::string& api_version, const std::string& list_kind) {
  if (!item.is_object()) return;
  if (!item.contains("apiVersion") && !api_version.empty()) item["apiVersion"] = api_version;
  if (!item.contains("kind") && list_kind.size() > 4 && list_kind.ends_with("List")) {
    item["kind"] = list_kind.substr(0, list_kind.size() - 4);
  }
}

constexpr const char* kInitialEventsEnd = "k8s.io/initial-events-end";

bool IsInitialEventsEnd(const kube::Json& bookmark) {
  const kube::Json* annotations = nullptr;
  if (auto m = bookmark.find("metadata"); m != bookmark.end() && m->is_object()) {
    if (auto a = m->find("annotations"); a != m->end() && a->is_object()) annotations = &*a;
  }
  return annotations && annotations->value(kInitialEventsEnd, "") == "true";
}

// Answers of a server that does not serve streaming lists (feature gate off, or an older
// version rejecting sendInitialEvents).
bool RefusesStreamingList(const kube::ApiError& e) {
  return e.code() == 400 || e.IsForbidden() || e.IsInvalid();
}

bool IsGoneStatus(const kube::Json& status) {
  if (!status.is_object()) return false;
  int code = status.value("code", 0);
  std::string reason = status.value("reason", "");
  return code == 410 || reason == "Expired" || reason == "Gone";
}

}  // namespace

const char* WatcherStateName(WatcherState state) {
  switch (state) {
    case WatcherState::kEmpty: return "Empty";
    case WatcherState::kListing: return "Listing";
    case WatcherState::kWatching: return "Watching";
    case WatcherState::kBackoff: return "Backoff";
    case WatcherState::kStopped: return "Stopped";
  }
  return "?";
}

Watcher::Watcher(ListerWatcher& lister_watcher, Store& store, WatcherOptions options)
    : lw_(lister_watcher),
      store_(store),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : time::SystemClock::Instance()),
      backoff_(options_.initial_backoff, options_.max_backoff, options_.backoff_jitter,
               options_.random ? options_.random : time::DefaultRandomSource()),
      log_(observe::Logger("runtime.watcher").With("resource", options_.name)) {
  if (!options_.random) options_.random = time::DefaultRandomSource();
  streaming_list_ = options_.streaming_list;
}

void Watcher::AddHandler(std::shared_ptr<EventHandler> handler) { handlers_.push_back(std::move(handler)); }

void Watcher::SetStateObserver(std::function<void(WatcherState)> observer) { observer_ = std::move(observer); }

WatcherState Watcher::State() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::string Watcher::LastResourceVersion() const {
  std::lock_guard lock(mu_);
  return last_rv_;
}

int Watcher::Lists() const {
  std::lock_guard lock(mu_);
  return lists_;
}

void Watcher::SetState(WatcherState state) {
  {
    std::lock_guard lock(mu_);
    if (state_ == state) return;
    state_ = state;
  }
  log_.Debug("watcher state", {{"state", WatcherStateName(state)}});
  if (observer_) observer_(state);
}

void Watcher::SetLastResourceVersion(std::string rv) {
  if (rv.empty()) return;
  std::lock_guard lock(mu_);
  last_rv_ = std::move(rv);
}

template <typename F>
void Watcher::Notify(F&& call) {
  for (auto& handler : handlers_) {
    try {
      call(*handler);
    } catch (const std::exception& e) {
      log_.Error("event handler threw; continuing", {{"error", e.what()}});
    }
  }
}

void Watcher::Run(std::stop_token stop) {
  WatcherState after_backoff = WatcherState::kListing;
  SetState(WatcherState::kListing);
  while (!stop.stop_requested()) {
    switch (State()) {
      case WatcherState::kEmpty:
      case WatcherState::kListing:
        try {
          ListAndReplace(stop);
          if (stop.stop_requested()) break;
          SetState(WatcherState::kWatching);
        } catch (const std::exception& e) {
          log_.Warn("list failed; backing off", {{"what", lw_.Describe()}, {"error", e.what()}});
          after_backoff = WatcherState::kListing;
          SetState(WatcherState::kBackoff);
        }
        break;
      case WatcherState::kWatching: {
        time::TimePoint started = clock_.Now();
        WatchEnd end = WatchOnce(stop);
        if (end == WatchEnd::kStopped) break;
        const bool short_and_empty = watch_events_ == 0 && clock_.Now() - started < options_.short_watch;
        if (end == WatchEnd::kClosed && !short_and_empty) {
          backoff_.Reset();
          break;  // rewatch at once from the last resourceVersion
        }
        if (end == WatchEnd::kGone) {
          log_.Info("resourceVersion too old; relisting",
                    {{"what", lw_.Describe()}, {"resourceVersion", LastResourceVersion()}});
          SetState(WatcherState::kListing);
          break;
        }
        if (end == WatchEnd::kClosed) {
          log_.Warn("the server closed the watch at once without events; backing off",
                    {{"what", lw_.Describe()}, {"resourceVersion", LastResourceVersion()}});
        }
        if (clock_.Now() - started >= options_.healthy_watch) backoff_.Reset();
        after_backoff = WatcherState::kWatching;
        SetState(WatcherState::kBackoff);
        break;
      }
      case WatcherState::kBackoff: {
        time::Duration wait = backoff_.Next();
        log_.Debug("backing off", {{"seconds", std::chrono::duration<double>(wait).count()}});
        if (!clock_.SleepFor(wait, stop)) break;
        SetState(after_backoff);
        break;
      }
      case WatcherState::kStopped:
        return;
    }
  }
  SetState(WatcherState::kStopped);
}

std::optional<std::pair<std::vector<PackedPtr>, std::string>> Watcher::StreamList(std::stop_token stop) {
  kube::ListOptions options;
  options.send_initial_events = true;
  options.resource_version_match = "NotOlderThan";  // with no resourceVersion: a consistent read
  options.allow_watch_bookmarks = true;
  options.timeout_seconds = WatchTimeoutSeconds();
  std::vector<PackedPtr> objects;
  std::string resource_version;
  bool complete = false;
  std::optional<kube::ApiError> error;
  try {
    lw_.Watch(
        options,
        [&](kube::WatchEvent&& event) {
          if (event.type == "ADDED") {
            objects.push_back(store_.Pack(std::move(event.object)));
            return true;
          }
          if (event.type == "BOOKMARK" && IsInitialEventsEnd(event.object)) {
            resource_version = ResourceVersionOf(event.object);
            complete = true;
            return false;  // resume as a plain watch from this resourceVersion
          }
          if (event.type == "ERROR") {
            error = kube::ApiErrorFromStatus(event.object);
            return false;
          }
          return true;  // a progress bookmark
        },
        stop);
  } catch (const kube::ApiError& e) {
    if (!RefusesStreamingList(e)) throw;
    error = e;
  }
  if (stop.stop_requested()) return std::pair{std::vector<PackedPtr>{}, std::string{}};
  if (error && !RefusesStreamingList(*error)) throw *error;
  if (!complete) {
    log_.Info("the server does not stream lists; paging from now on",
              {{"what", lw_.Describe()}, {"answer", error ? error->what() : "stream ended before k8s.io/initial-events-end"}});
    streaming_list_ = false;
    return std::nullopt;
  }
  return std::pair{std::move(objects), std::move(resource_version)};
}

std::pair<std::vector<PackedPtr>, std::string> Watcher::PagedList() {
  std::vector<PackedPtr> objects;
  std::string resource_version;
  kube::ListOptions options;
  options.limit = options_.page_size;
  bool first_page = true;
  do {
    kube::Json page = lw_.List(options);
    std::string api_version = page.value("apiVersion", "");
    std::string list_kind = page.value("kind", "");
    auto& meta = page["metadata"];
    if (first_page) resource_version = meta.value("resourceVersion", "");
    first_page = false;
    options.continue_token = meta.value("continue", "");
    auto items = page.find("items");
    if (items != page.end() && items->is_array()) {
      objects.reserve(objects.size() + items->size());
      for (auto& item : *items) {
        StampKind(item, api_version, list_kind);
        objects.push_back(store_.Pack(std::move(item)));
      }
      items->clear();  // this page's untrimmed objects go before the next page arrives
    }
  } while (!options.continue_token.empty());
  return {std::move(objects), std::move(resource_version)};
}

void Watcher::ListAndReplace(std::stop_token stop) {
  std::optional<std::pair<std::vector<PackedPtr>, std::string>> listed;
  if (streaming_list_) listed = StreamList(stop);
  if (stop.stop_requested()) return;
  if (!listed) listed = PagedList();
  auto& [objects, resource_version] = *listed;

  ReplaceDiff diff = store_.Replace(std::move(objects), resource_version);
  SetLastResourceVersion(resource_version);
  {
    std::lock_guard lock(mu_);
    ++lists_;
  }
  log_.Info("listed", {{"what", lw_.Describe()},
                       {"resourceVersion", resource_version},
                       {"objects", store_.Size()},
                       {"added", diff.added.size()},
                       {"updated", diff.updated.size()},
                       {"deleted", diff.deleted.size()}});
  // One object decoded at a time: handlers see each, none is held after.
  for (auto& packed : diff.deleted) {
    ObjectPtr o = packed->Unpack();
    Notify([&](EventHandler& h) { h.OnDelete(o); });
  }
  for (auto& packed : diff.added) {
    ObjectPtr o = packed->Unpack();
    Notify([&](EventHandler& h) { h.OnAdd(o); });
  }
  for (auto& [old_packed, new_packed] : diff.updated) {
    ObjectPtr old_object = old_packed->Unpack(), new_object = new_packed->Unpack();
    Notify([&](EventHandler& h) { h.OnUpdate(old_object, new_object); });
  }
}

Watcher::WatchEnd Watcher::WatchOnce(std::stop_token stop) {
  kube::ListOptions options;
  options.resource_version = LastResourceVersion();
  options.allow_watch_bookmarks = true;
  options.timeout_seconds = WatchTimeoutSeconds();
  watch_events_ = 0;

  WatchEnd end = WatchEnd::kClosed;
  try {
    lw_.Watch(options, [&](kube::WatchEvent&& event) { return ApplyEvent(std::move(event), end); }, stop);
  } catch (const kube::ApiError& e) {
    if (stop.stop_requested()) return WatchEnd::kStopped;
    if (e.IsGone()) return WatchEnd::kGone;
    log_.Warn("watch refused", {{"what", lw_.Describe()}, {"code", e.code()}, {"error", e.what()}});
    return WatchEnd::kFailed;
  } catch (const std::exception& e) {
    if (stop.stop_requested()) return WatchEnd::kStopped;
    log_.Warn("watch broke; will resume", {{"what", lw_.Describe()},
                                           {"resourceVersion", LastResourceVersion()},
                                           {"error", e.what()}});
    return WatchEnd::kFailed;
  }
  if (stop.stop_requested()) return WatchEnd::kStopped;
  return end;
}

int Watcher::WatchTimeoutSeconds() const {
  auto min_s = std::chrono::duration_cast<std::chrono::seconds>(options_.min_watch_timeout).count();
  auto max_s = std::chrono::duration_cast<std::chrono::seconds>(options_.max_watch_timeout).count();
  int seconds =
      static_cast<int>(min_s + static_cast<long>(options_.random() * static_cast<double>(max_s - min_s)));
  return seconds > 0 ? seconds : 1;
}

bool Watcher::ApplyEvent(kube::WatchEvent&& event, WatchEnd& end) {
  ++watch_events_;
  const std::string& type = event.type;
  if (type == "ADDED" || type == "MODIFIED") {
    ObjectPtr object = store_.Prepare(std::move(event.object));
    ObjectPtr old = store_.Upsert(object);
    SetLastResourceVersion(ResourceVersionOf(*object));
    if (old) {
      Notify([&](EventHandler& h) { h.OnUpdate(old, object); });
    } else {
      Notify([&](EventHandler& h) { h.OnAdd(object); });
    }
    return true;
  }
  if (type == "DELETED") {
    ObjectPtr object = store_.Prepare(std::move(event.object));
    store_.Remove(KeyOf(*object));
    std::string rv = ResourceVersionOf(*object);
    store_.SetResourceVersion(rv);
    SetLastResourceVersion(rv);
    Notify([&](EventHandler& h) { h.OnDelete(object); });
    return true;
  }
  if (type == "BOOKMARK") {
    std::string rv = ResourceVersionOf(event.object);
    store_.SetResourceVersion(rv);
    SetLastResourceVersion(rv);
    return true;
  }
  if (type == "ERROR") {
    if (IsGoneStatus(event.object)) {
      end = WatchEnd::kGone;
    } else {
      log_.Warn("watch error event", {{"what", lw_.Describe()}, {"status", event.object}});
      end = WatchEnd::kFailed;
    }
    return false;
  }
  log_.Warn("unknown watch event type; ignored", {{"type", type}});
  return true;
}

}  // namespace tfws::runtime
