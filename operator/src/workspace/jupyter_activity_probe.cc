#include "workspace/jupyter_activity_probe.h"

#include <cpprest/http_client.h>

namespace tfws::workspace {

namespace {

nlohmann::json GetJson(const std::string& url, const std::string& token, std::chrono::milliseconds timeout) {
  web::http::client::http_client_config config;
  config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  web::http::client::http_client client(utility::conversions::to_string_t(url), config);
  web::http::http_request request(web::http::methods::GET);
  if (!token.empty()) request.headers().add("Authorization", "token " + token);
  web::http::http_response response = client.request(request).get();
  const std::string body = response.extract_utf8string(true).get();
  if (response.status_code() != 200) {
    throw std::runtime_error("HTTP " + std::to_string(response.status_code()) +
                             (response.status_code() == 403 ? " (the token was refused)" : ""));
  }
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) throw std::runtime_error("the answer is not JSON");
  return parsed;
}

}  // namespace

ActivityProbe MakeJupyterActivityProbe(std::chrono::milliseconds timeout) {
  return [timeout](const std::string& base_url, const std::string& token) {
    ActivityProbeResult result;
    std::string step = base_url + "api/status";
    try {
      const nlohmann::json status = GetJson(step, token, timeout);
      step = base_url + "api/kernels?no_track_activity=1";
      const nlohmann::json kernels = GetJson(step, token, timeout);
      result.activity = ParseJupyterActivity(status, kernels);
    } catch (const std::exception& e) {
      result.error = "GET " + step + ": " + e.what();
    }
    return result;
  };
}

}  // namespace tfws::workspace
