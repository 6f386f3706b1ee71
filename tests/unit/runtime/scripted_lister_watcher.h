// A ListerWatcher driven by a test script: each List() call takes the next
// scripted page (or error), each Watch() call plays the next scripted session.
// Calls block (real time, bounded) until the test supplies a script, so tests
// can step the watcher. Records the options of every call.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <variant>

#include "kube/api_error.h"
#include "runtime/event_handler.h"
#include "runtime/lister_watcher.h"

namespace tfws::runtime::testing {

struct WatchSession {
  // kRefused: 422 as from a server that does not serve streaming lists (sendInitialEvents).
  enum class End { kServerClosed, kTransportError, kGoneError, kRefused, kBlockUntilStopped };
  std::vector<kube::WatchEvent> events;
  End end = End::kBlockUntilStopped;
};

inline kube::Json ObjectAt(const std::string& ns, const std::string& name, const std::string& rv) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"namespace", ns}, {"name", name}, {"resourceVersion", rv}, {"uid", "uid-" + name}}}};
}

inline kube::Json ListPage(std::vector<kube::Json> items, const std::string& rv, const std::string& cont = "") {
  kube::Json list = {{"apiVersion", "v1"}, {"kind", "PodList"}, {"metadata", {{"resourceVersion", rv}}}};
  if (!cont.empty()) list["metadata"]["continue"] = cont;
  list["items"] = kube::Json::array();
  for (auto& i : items) {
    i.erase("apiVersion");  // as the server sends list items
    i.erase("kind");
    list["items"].push_back(std::move(i));
  }
  return list;
}

class ScriptedListerWatcher final : public ListerWatcher {
 public:
  void ScriptList(kube::Json page) { Push(lists_, Step(std::move(page))); }
  void ScriptListError(std::exception_ptr error) { Push(lists_, Step(std::move(error))); }
  void ScriptWatch(WatchSession session) { Push(watches_, std::move(session)); }

  kube::Json List(const kube::ListOptions& options) override {
    std::unique_lock lock(mu_);
    list_calls_.push_back(options);
    cv_.notify_all();
    if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return !lists_.empty(); })) {
      throw kube::TransportError("test script has no list response");
    }
    Step step = std::move(lists_.front());
    lists_.pop_front();
    if (auto* e = std::get_if<std::exception_ptr>(&step)) std::rethrow_exception(*e);
    return std::get<kube::Json>(std::move(step));
  }

  void Watch(const kube::ListOptions& options, const std::function<bool(kube::WatchEvent&&)>& on_event,
             std::stop_token stop) override {
    WatchSession session;
    {
      std::unique_lock lock(mu_);
      watch_calls_.push_back(options);
      cv_.notify_all();
      cv_.wait(lock, stop, [&] { return !watches_.empty(); });
      if (stop.stop_requested()) return;
      session = std::move(watches_.front());
      watches_.pop_front();
    }
    for (auto& e : session.events) {
      if (!on_event(std::move(e))) return;
    }
    switch (session.end) {
      case WatchSession::End::kServerClosed: return;
      case WatchSession::End::kTransportError: throw kube::TransportError("connection reset by peer");
      case WatchSession::End::kGoneError:
        throw kube::ApiError(410, "Expired", "too old resource version: 1 (5)");
      case WatchSession::End::kRefused:
        throw kube::ApiError(422, "Invalid", "sendInitialEvents is forbidden for watch unless the WatchList feature gate is enabled");
      case WatchSession::End::kBlockUntilStopped: {
        std::unique_lock lock(mu_);
        cv_.wait(lock, stop, [] { return false; });
        return;
      }
    }
  }

  std::string Describe() const override { return "scripted pods"; }

  // Waits until at least n List / Watch calls were made.
  bool WaitForListCalls(size_t n) { return WaitFor([&] { return list_calls_.size() >= n; }); }
  bool WaitForWatchCalls(size_t n) { return WaitFor([&] { return watch_calls_.size() >= n; }); }
  std::vector<kube::ListOptions> list_calls() {
    std::lock_guard lock(mu_);
    return list_calls_;
  }
  std::vector<kube::ListOptions> watch_calls() {
    std::lock_guard lock(mu_);
    return watch_calls_;
  }

 private:
  using Step = std::variant<kube::Json, std::exception_ptr>;
  template <typename Q, typename T>
  void Push(Q& q, T&& v) {
    {
      std::lock_guard lock(mu_);
      q.push_back(std::forward<T>(v));
    }
    cv_.notify_all();
  }
  template <typename P>
  bool WaitFor(P pred) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), pred);
  }

  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<Step> lists_;
  std::deque<WatchSession> watches_;
  std::vector<kube::ListOptions> list_calls_, watch_calls_;
};

// Records handler calls as strings: "add ns/a@1", "update ns/a@1->2", "delete ns/a@2".
class RecordingHandler final : public EventHandler {
 public:
  void OnAdd(const ObjectPtr& o) override { Record("add " + Describe(o)); }
  void OnUpdate(const ObjectPtr& a, const ObjectPtr& b) override {
    Record("update " + Describe(a) + "->" + ResourceVersionOf(*b));
  }
  void OnDelete(const ObjectPtr& o) override { Record("delete " + Describe(o)); }

  bool WaitForCount(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return calls_.size() >= n; });
  }
  std::vector<std::string> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  static std::string Describe(const ObjectPtr& o) { return KeyOf(*o) + "@" + ResourceVersionOf(*o); }
  void Record(std::string s) {
    {
      std::lock_guard lock(mu_);
      calls_.push_back(std::move(s));
    }
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> calls_;
};

}  // namespace tfws::runtime::testing
