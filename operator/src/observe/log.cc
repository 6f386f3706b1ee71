#include "observe/log.h"
#include "time/rfc3339.h"

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

constexpr const char* kRedacted = "[REDACTED]";

struct LogState {
  std::mutex mu;  // serialises stderr writes and guards options and the sink list
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
  static constexpr std::array<std::string_view, 12> kSecretWords = {
      "token",      "password", "passwd", "secret",  "authorization", "bearer",
      "credential", "apikey",   "api_key", "privatekey", "private_key", "cookie"};
  const std::string k = Lower(key);
  return std::any_of(kSecretWords.begin(), kSecretWords.end(),
                     [&](std::string_view w) { return k.find(w) != std::string::npos; });
}

// Cheap test before the regular expressions: only strings containing one of
// these (lower-cased) can hold something to redact.
bool MayHoldSecret(std::string_view text) {
  static constexpr std::array<std::string_view, 8> kHints = {
      "bearer", "basic ", "eyj", "token", "password", "secret", "passwd", "authorization"};
  const std::string t = Lower(text);
  return std::any_of(kHints.begin(), kHints.end(),
                     [&](std::string_view h) { return t.find(h) != std::string::npos; });
}

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '~' ||
         c == '+' || c == '/' || c == '=' || c == '-';
}
bool IsBase64UrlChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// Replaces text[from, to) with the redaction marker in both the text and its
// lower-case twin (kept in step so later searches see the same indices).
std::size_t ReplaceSpan(std::string& text, std::string& lower, std::size_t from, std::size_t to) {
  text.replace(from, to - from, kRedacted);
  lower.replace(from, to - from, kRedacted);
  return from + std::char_traits<char>::length(kRedacted);
}

// "Bearer <x>" / "Basic <x>" (any case): the credential after the scheme.
void RedactAuthSchemes(std::string& text, std::string& lower) {
  for (std::string_view scheme : {"bearer", "basic"}) {
    std::size_t pos = 0;
    while ((pos = lower.find(scheme, pos)) != std::string::npos) {
      std::size_t i = pos + scheme.size();
      std::size_t j = i;
      while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
      std::size_t k = j;
      while (k < text.size() && IsTokenChar(text[k])) ++k;
      // "basic" is an ordinary word: only a credential right after "Authorization".
      const bool in_header = scheme == "bearer" ||
                             (pos >= 13 && lower.rfind("authorization", pos) != std::string::npos &&
                              pos - lower.rfind("authorization", pos) <= 20);
      if (in_header && j > i && k > j && text.compare(j, k - j, kRedacted) != 0) {
        pos = ReplaceSpan(text, lower, j, k);
      } else {
        pos = i;
      }
    }
  }
}

// JWTs: "eyJ<header>.<payload>.<signature>".
void RedactJwts(std::string& text, std::string& lower) {
  std::size_t pos = 0;
  while ((pos = text.find("eyJ", pos)) != std::string::npos) {
    std::size_t i = pos;
    int dots = 0;
    std::size_t first_segment = 0;
    while (i < text.size() && (IsBase64UrlChar(text[i]) || (text[i] == '.' && dots < 2))) {
      if (text[i] == '.') {
        if (dots == 0) first_segment = i - pos;
        ++dots;
      }
      ++i;
    }
    if (dots == 2 && first_segment >= 8) {
      pos = ReplaceSpan(text, lower, pos, i);
    } else {
      pos += 3;
    }
  }
}

// "token=<x>", "password: <x>", "\"secret\":\"<x>\"" (key names in any case,
// also as suffixes such as JUPYTER_TOKEN=).
void RedactAssignments(std::string& text, std::string& lower) {
  for (std::string_view word : {"token", "password", "passwd", "secret", "apikey", "api_key"}) {
    std::size_t pos = 0;
    while ((pos = lower.find(word, pos)) != std::string::npos) {
      std::size_t i = pos + word.size();
      if (i < text.size() && (text[i] == '"' || text[i] == '\'')) ++i;
      while (i < text.size() && text[i] == ' ') ++i;
      if (i >= text.size() || (text[i] != '=' && text[i] != ':')) {
        pos += word.size();
        continue;
      }
      ++i;
      while (i < text.size() && text[i] == ' ') ++i;
      if (i < text.size() && (text[i] == '"' || text[i] == '\'')) ++i;
      std::size_t k = i;
      while (k < text.size() && !std::isspace(static_cast<unsigned char>(text[k])) &&
             text[k] != '&' && text[k] != '"' && text[k] != '\'' && text[k] != ',' &&
             text[k] != ';' && text[k] != '}') {
        ++k;
      }
      if (k > i && text.compare(i, k - i, kRedacted) != 0) {
        pos = ReplaceSpan(text, lower, i, k);
      } else {
        pos = k > pos + word.size() ? k : pos + word.size();
      }
    }
  }
}

void RedactJson(nlohmann::json& value) {
  if (value.is_string()) {
    const auto& s = value.get_ref<const std::string&>();
    if (MayHoldSecret(s)) value = RedactText(s);
  } else if (value.is_object()) {
    const bool is_secret = value.contains("kind") && value["kind"] == "Secret";
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (IsSecretKey(it.key()) ||
          (is_secret && (it.key() == "data" || it.key() == "stringData"))) {
        it.value() = kRedacted;
      } else {
        RedactJson(it.value());
      }
    }
  } else if (value.is_array()) {
    for (auto& v : value) RedactJson(v);
  }
}

void WriteLine(const LogRecord& record, bool to_sinks) {
  auto& s = State();
  std::vector<std::shared_ptr<LogSink>> to_call;
  {
    std::lock_guard lock(s.mu);
    std::string line =
        s.options.format == LogFormat::kJson ? FormatJson(record) : FormatText(record);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
    if (to_sinks) to_call = s.sinks;
  }
  // Outside the lock: a sink may write to stderr itself without deadlocking.
  for (const auto& sink : to_call) sink->Write(record);
}

}  // namespace

std::string RedactText(std::string_view text) {
  std::string out(text);
  if (!MayHoldSecret(out)) return out;
  std::string lower = Lower(out);
  RedactAuthSchemes(out, lower);
  RedactJwts(out, lower);
  RedactAssignments(out, lower);
  return out;
}

void RedactFields(Fields& fields) {
  for (auto& f : fields) {
    if (IsSecretKey(f.key)) {
      f.value = kRedacted;
    } else {
      RedactJson(f.value);
    }
  }
}

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
  line["time"] = time::FormatRfc3339(r.time, time::Precision::kMicroseconds);
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

std::string FormatText(const LogRecord& r) {
  std::string out = time::FormatRfc3339(r.time, time::Precision::kMicroseconds);
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
    if (f.value.is_string()) {
      const auto& v = f.value.get_ref<const std::string&>();
      const bool quote = v.empty() || v.find_first_of(" \t\"=") != std::string::npos;
      out += quote ? nlohmann::json(v).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                   : v;
    } else {
      out += f.value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
  return out;
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

void WriteToStderrOnly(LogLevel level, std::string_view logger, std::string_view message,
                       Fields fields) {
  LogRecord record{std::chrono::system_clock::now(), level, std::string(logger),
                   RedactText(message), std::move(fields)};
  RedactFields(record.fields);
  WriteLine(record, /*to_sinks=*/false);
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
  LogRecord record{std::chrono::system_clock::now(), level, name_, RedactText(message), bound_};
  for (auto& f : fields) record.fields.push_back(std::move(f));
  RedactFields(record.fields);
  WriteLine(record, /*to_sinks=*/true);
}

void Logger::Debug(std::string_view m, Fields f) const { Log(LogLevel::kDebug, m, std::move(f)); }
void Logger::Info(std::string_view m, Fields f) const { Log(LogLevel::kInfo, m, std::move(f)); }
void Logger::Warn(std::string_view m, Fields f) const { Log(LogLevel::kWarn, m, std::move(f)); }
void Logger::Error(std::string_view m, Fields f) const { Log(LogLevel::kError, m, std::move(f)); }

}  // namespace tfws::observe
