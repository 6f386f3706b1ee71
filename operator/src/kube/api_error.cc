#include "kube/api_error.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>

namespace tfws::kube {
namespace {

std::string Describe(int code, const std::string& reason, const std::string& message) {
  if (!message.empty()) return message;
  std::string text = "HTTP " + std::to_string(code);
  if (!reason.empty()) text += " " + reason;
  return text;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The reason the API server would give for a bare status code (StatusReasonForCode).
std::string ReasonForCode(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "";
  }
}

int ParseRetryAfter(const std::map<std::string, std::string>& headers) {
  auto it = headers.find("retry-after");
  if (it == headers.end()) return 0;
  int seconds = 0;
  const std::string& v = it->second;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec != std::errc() || seconds < 0) return 0;  // HTTP-date form: not used by the API server
  (void)ptr;
  return seconds;
}

}  // namespace

ApiError::ApiError(int code, std::string reason, std::string message,
                   std::vector<StatusCause> causes, int retry_after_seconds)
    : std::runtime_error(Describe(code, reason, message)),
      code_(code),
      reason_(std::move(reason)),
      message_(std::move(message)),
      causes_(std::move(causes)),
      retry_after_seconds_(retry_after_seconds) {}

bool ApiError::IsQuotaExceeded() const {
  return code_ == 403 && Lower(message_).find("exceeded quota") != std::string::npos;
}

bool ApiError::IsGone() const {
  if (code_ == 410 || reason_ == "Expired" || reason_ == "Gone") return true;
  return Lower(message_).find("too old resource version") != std::string::npos;
}

ApiError ApiErrorFromResponse(int http_status, std::string_view body,
                              const std::map<std::string, std::string>& headers) {
  int retry_after = ParseRetryAfter(headers);
  nlohmann::json status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (status.is_object() && status.value("kind", "") == "Status") {
    int code = http_status;
    if (auto it = status.find("code"); it != status.end() && it->is_number_integer()) {
      code = it->get<int>();
    }
    std::string reason = status.value("reason", "");
    std::string message = status.value("message", "");
    std::vector<StatusCause> causes;
    if (auto details = status.find("details"); details != status.end() && details->is_object()) {
      if (auto list = details->find("causes"); list != details->end() && list->is_array()) {
        for (const auto& c : *list) {
          if (!c.is_object()) continue;
          causes.push_back({c.value("reason", ""), c.value("field", ""), c.value("message", "")});
        }
      }
      if (retry_after == 0) {
        if (auto r = details->find("retryAfterSeconds");
            r != details->end() && r->is_number_integer()) {
          retry_after = std::max(0, r->get<int>());
        }
      }
    }
    if (reason.empty()) reason = ReasonForCode(code);
    return ApiError(code, std::move(reason), std::move(message), std::move(causes), retry_after);
  }
  // Not a Status (a proxy, an HTML error page, an empty body): keep a bounded excerpt.
  std::string excerpt(body.substr(0, 512));
  while (!excerpt.empty() && std::isspace(static_cast<unsigned char>(excerpt.back())))
    excerpt.pop_back();
  std::string message = "the server answered HTTP " + std::to_string(http_status);
  if (!excerpt.empty()) message += ": " + excerpt;
  return ApiError(http_status, ReasonForCode(http_status), std::move(message), {}, retry_after);
}

}  // namespace tfws::kube
