// A LogSink that pushes log records to a Loki push-API endpoint (Grafana Loki
// "/loki/api/v1/push", VictoriaLogs "/insert/loki/api/v1/push") in the JSON push
// format, batching by size and time on its own thread.
//
// Contract:
// - Write() never blocks on the network: it formats the record, appends it to an
//   in-memory buffer and returns. When the buffer holds max_buffered_bytes, new
//   records are dropped and counted in tfws_log_lines_dropped_total{sink="loki"};
//   once pushing works again one line (stderr only, never to Loki) says how many
//   were dropped.
// - Records are pushed in the order they were written. A failed push (connection
//   error, 429, 5xx) is retried with exponential backoff until it succeeds, the
//   sink stops, or a 4xx other than 429 says the batch can never be accepted
//   (then the batch is dropped, counted and reported).
// - Stream labels are static and bounded: app=tfws-operator, level, and
//   `namespace` / `workspace` only when the record has those fields, plus the
//   user's static labels. Everything else (logger, msg, fields) is in the line,
//   which is the same JSON object as the stderr line.
// - Flush(deadline) waits until everything written before the call is pushed
//   (true) or the deadline passes (false). Stop(deadline) flushes then ends the
//   thread (a push in flight at the deadline may delay it by up to request_timeout);
//   the destructor calls Stop with a 2 s deadline.
// - Thread-safe. Construction throws std::invalid_argument naming --loki-url when
//   the URL is not http(s)://.
#pragma once

#include "observe/log.h"

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace prometheus {
class Registry;
class Counter;
}  // namespace prometheus

namespace tfws::observe {

using LokiLabels = std::map<std::string, std::string>;

// Parses the --loki-labels flag "k=v,k=v" (label names must match
// [a-zA-Z_][a-zA-Z0-9_]*); throws std::invalid_argument naming the flag.
LokiLabels ParseLokiLabels(std::string_view text);

// The outcome of one HTTP push.
struct PushOutcome {
  int status = 0;       // HTTP status, 0 when no response (connection error, timeout)
  std::string error;    // transport error or response body excerpt, for the log
};

// Sends one request body. The seam between batching logic and HTTP; the real one
// (MakeHttpLokiPusher) uses cpprestsdk. Called only from the sink's thread.
class LokiPusher {
 public:
  virtual ~LokiPusher() = default;
  virtual PushOutcome Push(const std::string& body, bool gzipped) = 0;
};

struct LokiSinkOptions {
  std::string url;            // full push URL
  std::string tenant;         // X-Scope-OrgID; empty = header not sent
  LokiLabels static_labels;   // added to every stream
  bool gzip = true;           // Content-Encoding: gzip
  std::size_t batch_max_bytes = 1 << 20;              // push when this much is buffered
  std::chrono::milliseconds batch_max_wait{1000};     // ... or when the oldest line is this old
  std::size_t max_buffered_bytes = 16 << 20;          // beyond this, new lines are dropped
  std::chrono::milliseconds min_backoff{250};
  std::chrono::milliseconds max_backoff{30000};
  std::chrono::milliseconds request_timeout{10000};
  std::shared_ptr<prometheus::Registry> registry;     // for the drop counter; may be null
};

// The real HTTP pusher (cpprestsdk http_client); throws std::invalid_argument on a bad URL.
std::unique_ptr<LokiPusher> MakeHttpLokiPusher(const LokiSinkOptions& options);

// Builds the JSON push body for records (exposed for tests):
// {"streams":[{"stream":{labels},"values":[["<ns epoch>","<json line>"], ...]}, ...]}.
struct PendingLine {
  LokiLabels labels;
  std::string timestamp_ns;  // decimal nanoseconds since the epoch
  std::string line;          // FormatJson(record)
  std::chrono::steady_clock::time_point enqueued{};
  std::size_t bytes() const { return line.size() + timestamp_ns.size() + 64; }
};
std::string BuildPushBody(const std::deque<PendingLine>& lines, std::size_t begin, std::size_t end);
// Stream labels for a record (see the contract above).
LokiLabels StreamLabels(const LogRecord& record, const LokiLabels& static_labels);
// gzip (RFC 1952) of data, via zlib.
std::string Gzip(std::string_view data);

class LokiSink final : public LogSink {
 public:
  explicit LokiSink(LokiSinkOptions options);
  LokiSink(LokiSinkOptions options, std::unique_ptr<LokiPusher> pusher);
  ~LokiSink() override;
  LokiSink(const LokiSink&) = delete;
  LokiSink& operator=(const LokiSink&) = delete;

  void Write(const LogRecord& record) override;
  bool Flush(std::chrono::steady_clock::time_point deadline);
  void Stop(std::chrono::steady_clock::time_point deadline);

  std::uint64_t dropped() const;  // lines dropped so far (also the metric)
  std::uint64_t pushed() const;   // lines accepted by the server so far

 private:
  void Run();
  // Pushes the oldest lines (up to batch_max_bytes); false when the server did
  // not accept them and they should be retried after a backoff.
  bool PushOneBatch(std::unique_lock<std::mutex>& lock);
  void CountDroppedLocked(std::uint64_t n);
  void ReportDropped();

  LokiSinkOptions options_;
  std::unique_ptr<LokiPusher> pusher_;
  prometheus::Counter* dropped_counter_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable wake_;       // sink thread: new data / flush / stop
  std::condition_variable progress_;   // Flush(): pushed_seq_ advanced
  std::deque<PendingLine> buffer_;
  std::size_t buffered_bytes_ = 0;
  std::uint64_t written_seq_ = 0;      // lines accepted into the buffer
  std::uint64_t pushed_seq_ = 0;       // lines pushed (or given up on)
  std::uint64_t dropped_ = 0;
  std::uint64_t dropped_unreported_ = 0;
  std::uint64_t pushed_lines_ = 0;
  bool flush_requested_ = false;
  bool stopping_ = false;
  bool failing_ = false;               // an outage was reported; report recovery once
  std::chrono::steady_clock::time_point stop_deadline_{};
  std::thread thread_;
};

}  // namespace tfws::observe
