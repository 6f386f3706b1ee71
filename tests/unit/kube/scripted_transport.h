// A Transport that records requests and answers from a script, for unit tests
// of the layers above the network.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <variant>
#include <vector>

#include "kube/api_error.h"
#include "kube/transport.h"

namespace tfws::kube::testing {

class ScriptedTransport final : public Transport {
 public:
  // An answer: a response, or a TransportError message (no response).
  using Answer = std::variant<HttpResponse, std::string>;

  void Push(int status, std::string body = "{}", std::map<std::string, std::string> headers = {}) {
    answers_.push_back(HttpResponse{status, std::move(headers), std::move(body)});
  }
  void PushFailure(std::string message) { answers_.push_back(std::move(message)); }
  // Chunks handed to a Stream() call, in order.
  void PushStream(int status, std::vector<std::string> chunks) {
    stream_chunks_ = std::move(chunks);
    Push(status, "");
  }

  HttpResponse Send(const HttpRequest& request) override {
    requests.push_back(request);
    if (answers_.empty())
      throw TransportError("script exhausted at " + request.method + " " + request.path);
    Answer answer = std::move(answers_.front());
    answers_.pop_front();
    if (auto* failure = std::get_if<std::string>(&answer)) throw TransportError(*failure);
    return std::get<HttpResponse>(answer);
  }

  HttpResponse Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                      std::stop_token) override {
    HttpResponse response = Send(request);
    if (response.status >= 200 && response.status < 300) {
      for (const auto& chunk : stream_chunks_) {
        if (!on_chunk(chunk)) break;
      }
    }
    return response;
  }

  std::string Host() const override { return "https://127.0.0.1:6443"; }

  std::vector<HttpRequest> requests;

 private:
  std::deque<Answer> answers_;
  std::vector<std::string> stream_chunks_;
};

}  // namespace tfws::kube::testing
