#include "observe/log.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>

namespace tfws::observe {
namespace {

struct LogState {
  std::mutex mu;  // serialises stderr writes and the sink list
  LogOptions options;
  std::vector<std::shared_ptr<LogSink>> sinks;
  std::atomic<int> min_level{static_cast<int>(LogLevel::kInfo)};
};

LogState& State() {
  static LogState* state = new LogState();  // never destroyed: usable from any static destructor
  return *state;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Keys whose values are credentials by name. Their values never reach a sink.
bool IsSecretKey(std::string_view key) {
  static constexpr std::array<std::string_view, 9> kSecretWords = {
      "token", "password", "passwd", "secret", "authorization", "bearer", "private", "credential",
      "apikey"};
  const std::string k = Lower(key);
  return std::any_of(kSecretWords.begin(), kSecretWords.end(),
                     [&](std::string_view w) { return k.find(w) != std::string::npos; });
}

void Redact(Fields& fields) {
  for (auto& f : fields) {
    if (IsSecretKey(f.key)) f.value = "[REDACTED]";
  }
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(t - secs).count();
  const std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return buf;
}

std::string FormatText(const LogRecord& r) {
  std::string out = Rfc3339(r.time);
  out += ' ';
  out += LevelName(r.level);
  out += ' ';
  out += r.logger;
  out += ": ";
  out += r.message;
  for (const auto& f : r.fields) {
    out += ' ';
    out += f.key;
    out += '=';
    out += f.value.is_string() ? f.value.get<std::string>() : f.value.dump();
  }
  return out;
}

}  // namespace

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

LogLevel ParseLogLevel(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "debug") return LogLevel::kDebug;
  if (t == "info") return LogLevel::kInfo;
  if (t == "warn" || t == "warning") return LogLevel::kWarn;
  if (t == "error") return LogLevel::kError;
  throw std::invalid_argument("--log-level: invalid value \"" + std::string(text) +
                              "\": must be one of debug, info, warn, error");
}

LogFormat ParseLogFormat(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "json") return LogFormat::kJson;
  if (t == "text") return LogFormat::kText;
  throw std::invalid_argument("--log-format: invalid value \"" + std::string(text) +
                              "\": must be json or text");
}

std::string FormatJson(const LogRecord& r) {
  nlohmann::ordered_json line;
  line["time"] = Rfc3339(r.time);
  line["level"] = LevelName(r.level);
  line["logger"] = r.logger;
  line["msg"] = r.message;
  for (const auto& f : r.fields) {
    if (f.key == "time" || f.key == "level" || f.key == "logger" || f.key == "msg") {
      line["field." + f.key] = f.value;
    } else {
      line[f.key] = f.value;
    }
  }
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void ConfigureLogging(const LogOptions& options) {
  auto& s = State();
  std::lock_guard lock(s.mu);
  s.options = options;
  s.min_level = static_cast<int>(options.level);
}

void AddLogSink(std::shared_ptr<LogSink> sink) {
  auto& s = State();
  std::lock_guard lock(s.mu);
  s.sinks.push_back(std::move(sink));
}

void RemoveLogSink(const std::shared_ptr<LogSink>& sink) {
  auto& s = State();
  std::lock_guard lock(s.mu);
  s.sinks.erase(std::remove(s.sinks.begin(), s.sinks.end(), sink), s.sinks.end());
}

Logger::Logger(std::string name, Fields bound) : name_(std::move(name)), bound_(std::move(bound)) {}

Logger Logger::With(std::string key, nlohmann::json value) const {
  Fields bound = bound_;
  bound.push_back({std::move(key), std::move(value)});
  return Logger(name_, std::move(bound));
}

bool Logger::Enabled(LogLevel level) const {
  return static_cast<int>(level) >= State().min_level.load(std::memory_order_relaxed);
}

void Logger::Log(LogLevel level, std::string_view message, Fields fields) const {
  if (!Enabled(level)) return;
  LogRecord record{std::chrono::system_clock::now(), level, name_, std::string(message), bound_};
  for (auto& f : fields) record.fields.push_back(std::move(f));
  Redact(record.fields);

  auto& s = State();
  std::lock_guard lock(s.mu);
  std::string line =
      s.options.format == LogFormat::kJson ? FormatJson(record) : FormatText(record);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  for (const auto& sink : s.sinks) sink->Write(record);
}

void Logger::Debug(std::string_view m, Fields f) const { Log(LogLevel::kDebug, m, std::move(f)); }
void Logger::Info(std::string_view m, Fields f) const { Log(LogLevel::kInfo, m, std::move(f)); }
void Logger::Warn(std::string_view m, Fields f) const { Log(LogLevel::kWarn, m, std::move(f)); }
void Logger::Error(std::string_view m, Fields f) const { Log(LogLevel::kError, m, std::move(f)); }

}  // namespace tfws::observe
