// Records events.k8s.io/v1 Events about objects ("why is my workspace
// Pending?"), the way `kubectl describe` shows them.
//
// Repeats of the same (regarding object, type, reason, action, note) within
// `series_window` of the previous occurrence update the existing Event's
// series {count, lastObservedTime} instead of creating a new Event. The
// aggregation state is an LRU bounded by `max_tracked`; pending writes are
// bounded by `max_pending` (beyond it new events are dropped and counted).
//
// Thread-safe. Eventf never blocks on the API and never throws: writes happen
// on one background thread; failures are logged. Destruction (or Stop)
// flushes what is pending, bounded by `stop_timeout`.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "observe/log.h"
#include "time/clock.h"
#include "runtime/object.h"

namespace tfws::runtime {

// Who the event is about (metadata of the regarding object).
struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;
  std::string uid;
  std::string resource_version;

  static ObjectReference From(const kube::Json& object);
  kube::Json ToJson() const;
};

enum class EventType { kNormal, kWarning };

// Where Events are written (tests use a recording fake).
class EventSink {
 public:
  virtual ~EventSink() = default;
  virtual void Create(const std::string& ns, const kube::Json& event) = 0;
  // Merge-patch of an existing Event. Throws kube::ApiError (404 when it expired).
  virtual void Patch(const std::string& ns, const std::string& name, const kube::Json& patch) = 0;
};

// Writes through kube::Client (resource events.k8s.io/v1 events).
class ClientEventSink final : public EventSink {
 public:
  explicit ClientEventSink(kube::Client& client) : client_(client) {}
  void Create(const std::string& ns, const kube::Json& event) override;
  void Patch(const std::string& ns, const std::string& name, const kube::Json& patch) override;

 private:
  kube::Client& client_;
};

struct EventRecorderOptions {
  std::string reporting_controller = "tfws.io/operator";
  std::string reporting_instance;  // default: $POD_NAME, else the hostname
  time::Duration series_window = std::chrono::minutes(10);
  std::size_t max_tracked = 4096;
  std::size_t max_pending = 1000;
  time::Duration stop_timeout = std::chrono::seconds(5);
  time::Clock* clock = nullptr;  // default time::SystemClock
};

class EventRecorder {
 public:
  EventRecorder(EventSink& sink, EventRecorderOptions options = {});
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // `note` is the human sentence (at most 1 kB is kept), e.g.
  // "no node has 2 free nvidia.com/gpu: add capacity or lower spec.gpu.count".
  void Eventf(const ObjectReference& regarding, EventType type, const std::string& reason,
              const std::string& action, const std::string& note);

  // Waits (real time, bounded) until every event recorded so far was written.
  bool Flush(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void Stop();
  std::uint64_t Dropped() const;

 private:
  struct Entry {
    std::string key;
    std::string ns;
    std::string name;  // of the Event object
    kube::Json regarding;
    std::string type, reason, action, note;
    time::WallTime first_time, last_time;
    time::TimePoint last_seen;
    int count = 0;          // occurrences so far
    int written_count = 0;  // what the server has
    bool created = false;
    bool queued = false;
  };
  using Lru = std::list<Entry>;

  void Loop(std::stop_token stop);
  void Write(const Entry& snapshot);
  kube::Json NewEvent(const Entry& e) const;

  EventSink& sink_;
  EventRecorderOptions options_;
  time::Clock& clock_;
  observe::Logger log_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  Lru lru_;  // most recent first
  std::unordered_map<std::string, Lru::iterator> by_key_;
  std::deque<std::string> pending_;  // keys with unwritten changes
  int in_flight_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t sequence_ = 0;
  std::jthread thread_;
};

}  // namespace tfws::runtime
