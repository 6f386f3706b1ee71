#include "workspace/jupyter_activity_probe.h"

#include <cpprest/http_client.h>
#include <cpprest/rawptrstream.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace tfws::workspace {

namespace {

// The answer is read into a fixed buffer: a server the workspace's user
// controls cannot make the operator hold more than this (Jupyter's answers are
// a few hundred bytes, plus ~250 per kernel).
constexpr std::size_t kMaxAnswerBytes = kMaxJupyterAnswerBytes;

nlohmann::json GetJson(const std::string& url, const std::string& token, std::chrono::milliseconds timeout) {
  web::http::client::http_client_config config;
  config.set_timeout(std::chrono::duration_cast<std::chrono::microseconds>(timeout));
  config.set_chunksize(4096);  // what the client reads from the socket at once
  web::http::client::http_client client(utility::conversions::to_string_t(url), config);
  web::http::http_request request(web::http::methods::GET);
  if (!token.empty()) request.headers().add("Authorization", "token " + token);
  std::array<std::uint8_t, kMaxAnswerBytes> body{};
  concurrency::streams::rawptr_buffer<std::uint8_t> sink(body.data(), body.size(), std::ios_base::out);
  request.set_response_stream(sink.create_ostream());
  web::http::http_response response = client.request(request).get();
  try {
    response.content_ready().get();  // throws when the body would not fit
  } catch (const std::exception&) {
    throw std::runtime_error("the answer is larger than " + std::to_string(kMaxAnswerBytes) +
                             " bytes, which no Jupyter status is: gave up reading it");
  }
  if (response.status_code() != 200) {
    throw std::runtime_error("HTTP " + std::to_string(response.status_code()) +
                             (response.status_code() == 403 ? " (the token was refused)" : ""));
  }
  const auto length = static_cast<std::size_t>(sink.getpos(std::ios_base::out));
  const std::string text(reinterpret_cast<const char*>(body.data()), std::min(length, body.size()));
  nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
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
