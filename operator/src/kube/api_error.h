// Typed failures of a Kubernetes API call.
//
// Every REST verb in kube/ either returns the decoded object or throws one of
// the two exception types below, so callers branch on *kinds* of failure
// (Conflict, NotFound, quota Forbidden, ...) instead of parsing strings.
#pragma once

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tfws::kube {

// One entry of Status.details.causes, e.g. {"FieldValueInvalid", "spec.gpu.count", "..."}.
struct StatusCause {
  std::string reason;
  std::string field;
  std::string message;
};

// The API server answered with a non-2xx status. Fields come from the
// metav1.Status body when there is one, else from the HTTP status line.
class ApiError : public std::runtime_error {
 public:
  ApiError(int code, std::string reason, std::string message, std::vector<StatusCause> causes = {},
           int retry_after_seconds = 0);

  int code() const { return code_; }
  // metav1.StatusReason: "NotFound", "AlreadyExists", "Conflict", "Invalid", "Forbidden", "Gone",
  // "Expired", "TooManyRequests", ... (empty when the body was not a Status).
  const std::string& reason() const { return reason_; }
  const std::string& message() const { return message_; }
  const std::vector<StatusCause>& causes() const { return causes_; }
  int retry_after_seconds() const { return retry_after_seconds_; }

  bool IsNotFound() const { return code_ == 404; }
  bool IsAlreadyExists() const { return code_ == 409 && reason_ == "AlreadyExists"; }
  bool IsConflict() const { return code_ == 409 && reason_ != "AlreadyExists"; }
  bool IsInvalid() const { return code_ == 422; }
  bool IsForbidden() const { return code_ == 403; }
  // A 403 caused by a ResourceQuota ("exceeded quota: ..."), as opposed to RBAC.
  bool IsQuotaExceeded() const;
  // 410, or an "Expired" / "too old resource version" status: the caller must relist.
  bool IsGone() const;
  bool IsTooManyRequests() const { return code_ == 429; }
  bool IsServerError() const { return code_ >= 500; }

 private:
  int code_;
  std::string reason_;
  std::string message_;
  std::vector<StatusCause> causes_;
  int retry_after_seconds_;
};

// Builds the error for a non-2xx answer: from the metav1.Status body when the
// body is one (code, reason, message, details.causes, details.retryAfterSeconds),
// else from the HTTP status and the start of the body. A Retry-After header
// (seconds) wins over details.retryAfterSeconds. Never throws.
ApiError ApiErrorFromResponse(int http_status, std::string_view body,
                              const std::map<std::string, std::string>& headers = {});

// The exchange did not complete: connection refused, TLS failure, deadline
// exceeded, stream reset. Retrying an idempotent request may succeed.
class TransportError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The configuration (kubeconfig, in-cluster files, exec plugin) is unusable.
// The message names the file, the context and the field at fault.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tfws::kube
