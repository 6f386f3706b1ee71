#include "observe/loki_sink.h"

#include <cpprest/http_client.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "time/backoff.h"

namespace tfws::observe {
namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kLogger = "loki-sink";

bool ValidLabelName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_';
  });
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

void CheckUrl(const std::string& url) {
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw std::invalid_argument("--loki-url: invalid value \"" + url +
                                "\": must be an http:// or https:// push URL, e.g. "
                                "http://loki:3100/loki/api/v1/push");
  }
}

bool Retryable(int status) { return status == 0 || status == 429 || status >= 500; }

// The cpprestsdk pusher. One http_client, reused (keep-alive).
class HttpLokiPusher final : public LokiPusher {
 public:
  explicit HttpLokiPusher(const LokiSinkOptions& options)
      : client_(utility::conversions::to_string_t(options.url), Config(options)),
        tenant_(options.tenant) {}

  PushOutcome Push(const std::string& body, bool gzipped) override {
    try {
      web::http::http_request request(web::http::methods::POST);
      request.set_body(std::vector<unsigned char>(body.begin(), body.end()));
      request.headers().set_content_type("application/json");
      if (gzipped) request.headers().add("Content-Encoding", "gzip");
      if (!tenant_.empty()) request.headers().add("X-Scope-OrgID", tenant_);
      web::http::http_response response = client_.request(request).get();
      PushOutcome outcome{static_cast<int>(response.status_code()), {}};
      if (outcome.status < 200 || outcome.status >= 300) {
        outcome.error = response.extract_utf8string(true).get().substr(0, 300);
      }
      return outcome;
    } catch (const std::exception& e) {
      return {0, e.what()};
    }
  }

 private:
  static web::http::client::http_client_config Config(const LokiSinkOptions& options) {
    web::http::client::http_client_config config;
    config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(options.request_timeout));
    return config;
  }
  web::http::client::http_client client_;
  std::string tenant_;
};

}  // namespace

LokiLabels ParseLokiLabels(std::string_view text) {
  LokiLabels labels;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = Trim(text.substr(start, comma - start));
    start = comma + 1;
    if (item.empty()) continue;
    const auto eq = item.find('=');
    const std::string key = eq == std::string::npos ? item : Trim(item.substr(0, eq));
    if (eq == std::string::npos || !ValidLabelName(key)) {
      throw std::invalid_argument("--loki-labels: invalid value \"" + std::string(text) +
                                  "\": \"" + item +
                                  "\" must be name=value with a name matching "
                                  "[a-zA-Z_][a-zA-Z0-9_]* (e.g. cluster=prod,region=eu)");
    }
    labels[key] = Trim(item.substr(eq + 1));
  }
  return labels;
}

LokiLabels StreamLabels(const LogRecord& record, const LokiLabels& static_labels) {
  LokiLabels labels{{"app", "tfws-operator"}};
  for (const auto& [k, v] : static_labels) labels[k] = v;
  labels["level"] = std::string(LevelName(record.level));
  for (const auto& f : record.fields) {
    if ((f.key == "namespace" || f.key == "workspace") && f.value.is_string() &&
        !f.value.get_ref<const std::string&>().empty()) {
      labels[f.key] = f.value.get<std::string>();
    }
  }
  return labels;
}

std::string BuildPushBody(const std::deque<PendingLine>& lines, std::size_t begin, std::size_t end) {
  // One stream per distinct label set, in order of first appearance; lines keep their order.
  std::vector<const LokiLabels*> order;
  std::map<LokiLabels, nlohmann::json> values;
  for (std::size_t i = begin; i < end && i < lines.size(); ++i) {
    const PendingLine& l = lines[i];
    auto [it, inserted] = values.try_emplace(l.labels, nlohmann::json::array());
    if (inserted) order.push_back(&it->first);
    it->second.push_back(nlohmann::json::array({l.timestamp_ns, l.line}));
  }
  nlohmann::json streams = nlohmann::json::array();
  for (const LokiLabels* labels : order) {
    streams.push_back({{"stream", *labels}, {"values", std::move(values[*labels])}});
  }
  return nlohmann::json{{"streams", std::move(streams)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::runtime_error("gzip: deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const std::size_t written = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate did not finish");
  out.resize(written);
  return out;
}

std::unique_ptr<LokiPusher> MakeHttpLokiPusher(const LokiSinkOptions& options) {
  CheckUrl(options.url);
  return std::make_unique<HttpLokiPusher>(options);
}

LokiSink::LokiSink(LokiSinkOptions options) : LokiSink(options, MakeHttpLokiPusher(options)) {}

LokiSink::LokiSink(LokiSinkOptions options, std::unique_ptr<LokiPusher> pusher)
    : options_(std::move(options)), pusher_(std::move(pusher)) {
  if (options_.batch_max_bytes == 0) options_.batch_max_bytes = 1;
  if (options_.registry) {
    dropped_counter_ = &prometheus::BuildCounter()
                            .Name("tfws_log_lines_dropped_total")
                            .Help("Log lines a sink dropped (buffer full, server refused the "
                                  "batch, or shutdown before delivery).")
                            .Register(*options_.registry)
                            .Add({{"sink", "loki"}});
  }
  thread_ = std::thread([this] { Run(); });
}

LokiSink::~LokiSink() { Stop(Clock::now() + std::chrono::seconds(2)); }

void LokiSink::CountDroppedLocked(std::uint64_t n) {
  dropped_ += n;
  dropped_unreported_ += n;
  if (dropped_counter_) dropped_counter_->Increment(static_cast<double>(n));
}

void LokiSink::Write(const LogRecord& record) {
  PendingLine line{StreamLabels(record, options_.static_labels),
                   std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      record.time.time_since_epoch())
                                      .count()),
                   FormatJson(record), Clock::now()};
  const std::size_t bytes = line.bytes();
  std::lock_guard lock(mu_);
  if (stopping_ || buffered_bytes_ + bytes > options_.max_buffered_bytes) {
    CountDroppedLocked(1);
    return;
  }
  const bool was_empty = buffer_.empty();
  buffer_.push_back(std::move(line));
  buffered_bytes_ += bytes;
  ++written_seq_;
  if (was_empty || buffered_bytes_ >= options_.batch_max_bytes) wake_.notify_one();
}

void LokiSink::ReportDropped() {
  std::uint64_t n = 0;
  {
    std::lock_guard lock(mu_);
    n = dropped_unreported_;
    dropped_unreported_ = 0;
  }
  if (n == 0) return;
  WriteToStderrOnly(LogLevel::kWarn, kLogger,
                    "dropped log lines instead of sending them to Loki (buffer full, batch "
                    "refused, or shutdown); see tfws_log_lines_dropped_total{sink=\"loki\"}",
                    {{"dropped", n},
                     {"url", options_.url},
                     {"maxBufferedBytes", options_.max_buffered_bytes}});
}

bool LokiSink::PushOneBatch(std::unique_lock<std::mutex>& lock) {
  // Take the oldest lines up to batch_max_bytes (at least one). They stay in
  // the buffer until accepted, so memory stays bounded and order is kept.
  std::size_t n = 0, bytes = 0;
  while (n < buffer_.size() && (n == 0 || bytes + buffer_[n].bytes() <= options_.batch_max_bytes)) {
    bytes += buffer_[n].bytes();
    ++n;
  }
  std::string body = BuildPushBody(buffer_, 0, n);
  lock.unlock();
  PushOutcome outcome;
  try {
    if (options_.gzip) body = Gzip(body);
    outcome = pusher_->Push(body, options_.gzip);
  } catch (const std::exception& e) {
    outcome = {0, e.what()};
  }
  const bool accepted = outcome.status >= 200 && outcome.status < 300;
  const bool retry = !accepted && Retryable(outcome.status);
  if (accepted && failing_) {
    failing_ = false;
    WriteToStderrOnly(LogLevel::kInfo, kLogger, "Loki push recovered", {{"url", options_.url}});
  } else if (retry && !failing_) {
    failing_ = true;
    WriteToStderrOnly(LogLevel::kWarn, kLogger, "Loki push failed; buffering and retrying",
                      {{"url", options_.url}, {"status", outcome.status}, {"error", outcome.error}});
  } else if (!accepted && !retry) {
    WriteToStderrOnly(LogLevel::kError, kLogger, "Loki refused a batch; dropping it",
                      {{"url", options_.url},
                       {"status", outcome.status},
                       {"error", outcome.error},
                       {"lines", n}});
  }
  lock.lock();
  if (retry) return false;
  for (std::size_t i = 0; i < n; ++i) {
    buffered_bytes_ -= buffer_.front().bytes();
    buffer_.pop_front();
  }
  pushed_seq_ += n;
  if (accepted) {
    pushed_lines_ += n;
  } else {
    CountDroppedLocked(n);
  }
  progress_.notify_all();
  return true;
}

void LokiSink::Run() {
  time::Backoff backoff(options_.min_backoff, options_.max_backoff, 0.0, nullptr);
  std::unique_lock lock(mu_);
  while (true) {
    // Wait until a batch is due: full, old enough, flush/stop requested.
    while (true) {
      if (stopping_ || flush_requested_) break;
      if (buffered_bytes_ >= options_.batch_max_bytes) break;
      if (buffer_.empty()) {
        wake_.wait(lock);
        continue;
      }
      const auto due = buffer_.front().enqueued + options_.batch_max_wait;
      if (Clock::now() >= due) break;
      wake_.wait_until(lock, due);
    }
    if (buffer_.empty()) {
      flush_requested_ = false;
      progress_.notify_all();
      if (stopping_) break;
      continue;
    }
    if (stopping_ && Clock::now() >= stop_deadline_) {
      // Out of time: what is left is dropped, counted and reported.
      const std::uint64_t n = buffer_.size();
      buffer_.clear();
      buffered_bytes_ = 0;
      pushed_seq_ += n;
      CountDroppedLocked(n);
      progress_.notify_all();
      break;
    }
    if (PushOneBatch(lock)) {
      backoff.Reset();
      lock.unlock();
      ReportDropped();
      lock.lock();
      continue;
    }
    // Retry after a backoff (cut short by Stop's deadline).
    auto wake_at = Clock::now() + backoff.Next();
    if (stopping_) wake_at = std::min(wake_at, stop_deadline_);
    wake_.wait_until(lock, wake_at, [&] { return stopping_ && Clock::now() >= stop_deadline_; });
  }
  lock.unlock();
  ReportDropped();
}

bool LokiSink::Flush(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  const std::uint64_t target = written_seq_;
  if (pushed_seq_ >= target) return true;
  flush_requested_ = true;
  wake_.notify_all();
  return progress_.wait_until(lock, deadline, [&] { return pushed_seq_ >= target; });
}

void LokiSink::Stop(std::chrono::steady_clock::time_point deadline) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      stopping_ = true;
      stop_deadline_ = deadline;
    }
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

std::uint64_t LokiSink::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

std::uint64_t LokiSink::pushed() const {
  std::lock_guard lock(mu_);
  return pushed_lines_;
}

}  // namespace tfws::observe
