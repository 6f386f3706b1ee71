#include "runtime/event_recorder.h"

#include "time/rfc3339.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "kube/api_error.h"

namespace tfws::runtime {
namespace {

constexpr std::size_t kMaxNoteBytes = 1024;

std::string DefaultReportingInstance() {
  if (const char* pod = std::getenv("POD_NAME"); pod && *pod) return pod;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0 && host[0]) return host;
  return "tfws-operator";
}

}  // namespace

ObjectReference ObjectReference::From(const kube::Json& object) {
  ObjectReference ref;
  ref.api_version = object.value("apiVersion", "");
  ref.kind = object.value("kind", "");
  ref.ns = NamespaceOf(object);
  ref.name = NameOf(object);
  ref.uid = UidOf(object);
  ref.resource_version = ResourceVersionOf(object);
  return ref;
}

kube::Json ObjectReference::ToJson() const {
  kube::Json j = {{"apiVersion", api_version}, {"kind", kind}, {"name", name}};
  if (!ns.empty()) j["namespace"] = ns;
  if (!uid.empty()) j["uid"] = uid;
  if (!resource_version.empty()) j["resourceVersion"] = resource_version;
  return j;
}

void ClientEventSink::Create(const std::string& ns, const kube::Json& event) {
  client_.Create(kube::resources::kEvents, ns, event);
}

void ClientEventSink::Patch(const std::string& ns, const std::string& name, const kube::Json& patch) {
  client_.Patch(kube::resources::kEvents, ns, name, kube::PatchType::kMerge, patch);
}

EventRecorder::EventRecorder(EventSink& sink, EventRecorderOptions options)
    : sink_(sink),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : time::SystemClock::Instance()),
      log_("runtime.events") {
  if (options_.reporting_instance.empty()) options_.reporting_instance = DefaultReportingInstance();
  thread_ = std::jthread([this](std::stop_token stop) { Loop(stop); });
}

EventRecorder::~EventRecorder() { Stop(); }

void EventRecorder::Stop() {
  if (!thread_.joinable()) return;
  Flush(std::chrono::duration_cast<std::chrono::milliseconds>(options_.stop_timeout));
  thread_.request_stop();
  thread_.join();
}

std::uint64_t EventRecorder::Dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void EventRecorder::Eventf(const ObjectReference& regarding, EventType type, const std::string& reason,
                           const std::string& action, const std::string& note) {
  std::string type_name = type == EventType::kWarning ? "Warning" : "Normal";
  std::string trimmed_note = note.size() > kMaxNoteBytes ? note.substr(0, kMaxNoteBytes) : note;
  std::string object_id = regarding.uid.empty() ? regarding.kind + "/" + regarding.ns + "/" + regarding.name
                                                : regarding.uid;
  std::string key = object_id + "\x1f" + type_name + "\x1f" + reason + "\x1f" + action + "\x1f" + trimmed_note;
  time::TimePoint now = clock_.Now();
  time::WallTime wall = clock_.WallNow();

  std::lock_guard lock(mu_);
  auto found = by_key_.find(key);
  if (found != by_key_.end() && now - found->second->last_seen <= options_.series_window) {
    Entry& e = *found->second;
    ++e.count;
    e.last_time = wall;
    e.last_seen = now;
    lru_.splice(lru_.begin(), lru_, found->second);
  } else {
    if (found != by_key_.end()) {  // too old to continue: start a new Event
      lru_.erase(found->second);
      by_key_.erase(found);
    }
    Entry e;
    e.key = key;
    e.ns = regarding.ns.empty() ? "default" : regarding.ns;
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".%llx",
                  static_cast<unsigned long long>(
                      std::chrono::duration_cast<std::chrono::nanoseconds>(wall.time_since_epoch()).count() +
                      static_cast<long long>(++sequence_)));
    e.name = regarding.name + suffix;
    e.regarding = regarding.ToJson();
    e.type = type_name;
    e.reason = reason;
    e.action = action;
    e.note = trimmed_note;
    e.first_time = e.last_time = wall;
    e.last_seen = now;
    e.count = 1;
    lru_.push_front(std::move(e));
    by_key_[key] = lru_.begin();
    // Evict the least recently seen entries, but never one whose write is
    // still pending (that would lose the event).
    for (auto it = lru_.end(); lru_.size() > options_.max_tracked && it != lru_.begin();) {
      --it;
      if (it->queued) continue;
      by_key_.erase(it->key);
      it = lru_.erase(it);
    }
  }
  Entry& e = *by_key_[key];
  if (!e.queued) {
    if (pending_.size() >= options_.max_pending) {
      ++dropped_;
      return;
    }
    e.queued = true;
    pending_.push_back(key);
  }
  cv_.notify_all();
}

kube::Json EventRecorder::NewEvent(const Entry& e) const {
  kube::Json event = {{"apiVersion", "events.k8s.io/v1"},
                      {"kind", "Event"},
                      {"metadata", {{"name", e.name}, {"namespace", e.ns}}},
                      {"eventTime", time::FormatRfc3339(e.first_time, time::Precision::kMicroseconds)},
                      {"reportingController", options_.reporting_controller},
                      {"reportingInstance", options_.reporting_instance},
                      {"action", e.action},
                      {"reason", e.reason},
                      {"regarding", e.regarding},
                      {"note", e.note},
                      {"type", e.type}};
  if (e.count > 1) event["series"] = {{"count", e.count}, {"lastObservedTime", time::FormatRfc3339(e.last_time, time::Precision::kMicroseconds)}};
  return event;
}

void EventRecorder::Write(const Entry& e) {
  kube::Json series = {{"series", {{"count", e.count}, {"lastObservedTime", time::FormatRfc3339(e.last_time, time::Precision::kMicroseconds)}}}};
  try {
    if (!e.created) {
      sink_.Create(e.ns, NewEvent(e));
    } else {
      try {
        sink_.Patch(e.ns, e.name, series);
      } catch (const kube::ApiError& err) {
        if (!err.IsNotFound()) throw;
        sink_.Create(e.ns, NewEvent(e));  // the server expired it (events live ~1 h)
      }
    }
  } catch (const std::exception& err) {
    log_.Warn("could not write event", {{"event", e.name}, {"namespace", e.ns}, {"reason", e.reason},
                                        {"error", err.what()}});
  }
}

void EventRecorder::Loop(std::stop_token stop) {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, stop, [&] { return !pending_.empty(); });
    if (stop.stop_requested()) return;
    std::string key = std::move(pending_.front());
    pending_.pop_front();
    auto it = by_key_.find(key);
    if (it == by_key_.end()) continue;  // evicted
    Entry& live = *it->second;
    live.queued = false;
    Entry snapshot = live;
    // Mark it created before writing: a repeat recorded meanwhile is then
    // written as a series patch (a failed create falls back to create on 404).
    live.created = true;
    ++in_flight_;
    lock.unlock();
    Write(snapshot);
    lock.lock();
    --in_flight_;
    cv_.notify_all();
  }
}

bool EventRecorder::Flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return pending_.empty() && in_flight_ == 0; });
}

}  // namespace tfws::runtime
