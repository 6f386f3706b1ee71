// Structured logging: one JSON object per line on stderr (or human text),
// optionally copied to a Loki push endpoint.
//
// Thread-safe. A Logger is a cheap value (name + bound fields); copy it into
// whatever needs one. Never pass secrets as messages or fields: keys that look
// like credentials (token, password, authorization, ...) and values that look
// like bearer tokens or JWTs are redacted anyway (see RedactFields).
// Sinks are called outside the stderr lock, so a sink may itself write to
// stderr (WriteToStderrOnly) but must not log through a Logger.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tfws::observe {

enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kJson, kText };

// A structured field: {"namespace", "team-a"}, {"gpus", 2}.
struct Field {
  std::string key;
  nlohmann::json value;
};
using Fields = std::vector<Field>;

// A finished log record, as handed to sinks.
struct LogRecord {
  std::chrono::system_clock::time_point time;
  LogLevel level;
  std::string logger;
  std::string message;
  Fields fields;  // bound fields first, then per-call fields; already redacted
};

// Receives every record at or above the configured level. Implementations
// must not block the caller (the Loki sink only enqueues).
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(const LogRecord& record) = 0;
};

struct LogOptions {
  LogFormat format = LogFormat::kJson;
  LogLevel level = LogLevel::kInfo;
};

// Configures the process-wide stderr output. Safe to call again (tests do).
void ConfigureLogging(const LogOptions& options);
// Adds a sink that receives every record (e.g. the Loki push sink).
void AddLogSink(std::shared_ptr<LogSink> sink);
void RemoveLogSink(const std::shared_ptr<LogSink>& sink);
// Parses "debug|info|warn|error" / "json|text"; throws std::invalid_argument naming the flag.
LogLevel ParseLogLevel(std::string_view text);
LogFormat ParseLogFormat(std::string_view text);
// Renders one record as the single JSON line written to stderr (no newline).
std::string FormatJson(const LogRecord& record);
// Renders one record as a human line: "<time> <level> <logger>: <msg> k=v ..." (no newline).
std::string FormatText(const LogRecord& record);
// Writes a record to stderr only, in the configured format, never to sinks:
// for sinks reporting on themselves (the Loki sink's "dropped N lines").
// Redacts like Logger::Log. Safe to call from a sink's own thread.
void WriteToStderrOnly(LogLevel level, std::string_view logger, std::string_view message,
                       Fields fields = {});
// Redaction applied to every record before it reaches stderr or a sink:
// - fields (also nested object keys) named like credentials (token, password,
//   secret, authorization, bearer, private, credential, apikey, ...) -> "[REDACTED]";
// - the data/stringData of any object with "kind": "Secret" -> "[REDACTED]";
// - inside any string (fields and the message): "Bearer <x>", "Basic <x>",
//   JWTs (eyJ...), and "token=<x>"/"password=<x>"-style pairs.
void RedactFields(Fields& fields);
std::string RedactText(std::string_view text);
std::string_view LevelName(LogLevel level);

class Logger {
 public:
  explicit Logger(std::string name, Fields bound = {});

  // A copy with one more bound field, e.g. log.With("workspace", name).
  Logger With(std::string key, nlohmann::json value) const;
  const std::string& name() const { return name_; }

  void Debug(std::string_view message, Fields fields = {}) const;
  void Info(std::string_view message, Fields fields = {}) const;
  void Warn(std::string_view message, Fields fields = {}) const;
  void Error(std::string_view message, Fields fields = {}) const;
  void Log(LogLevel level, std::string_view message, Fields fields) const;
  bool Enabled(LogLevel level) const;

 private:
  std::string name_;
  Fields bound_;
};

}  // namespace tfws::observe
