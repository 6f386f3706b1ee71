#include "kube/cpprest_transport.h"

#include <cpprest/http_client.h>
#include <pplx/threadpool.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <future>
#include <mutex>
#include <optional>
#include <vector>

#include "kube/api_error.h"

namespace tfws::kube {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::client::http_client;
using web::http::client::http_client_config;
using SteadyTime = std::chrono::steady_clock::time_point;

constexpr std::size_t kChunkBytes = 64 * 1024;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// When the whole exchange must be over; nullopt = no deadline (request.deadline zero).
std::optional<SteadyTime> DeadlineOf(const HttpRequest& request) {
  if (request.deadline.count() <= 0) return std::nullopt;
  return std::chrono::steady_clock::now() + request.deadline;
}

// Waits for a cpprest task from the calling thread (never inside a
// continuation), honouring a total deadline and a stop token. On expiry or
// stop the request is cancelled (cpprest then closes the connection).
template <typename T>
std::optional<T> Await(pplx::task<T> task, std::optional<SteadyTime> deadline,
                       const std::stop_token& stop, pplx::cancellation_token_source& cancel,
                       bool& expired) {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  task.then([promise](pplx::task<T> done) {
    try {
      promise->set_value(done.get());
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  });
  constexpr auto kSlice = std::chrono::milliseconds(100);
  for (;;) {
    auto until = std::chrono::steady_clock::now() + kSlice;
    if (deadline && *deadline < until) until = *deadline;
    if (future.wait_until(until) == std::future_status::ready) break;
    bool stop_now = stop.stop_requested();
    bool deadline_now = deadline && std::chrono::steady_clock::now() >= *deadline;
    if (stop_now || deadline_now) {
      expired = deadline_now && !stop_now;
      cancel.cancel();
      // The continuation runs as soon as cpprest notices; don't wait forever for it.
      if (future.wait_for(std::chrono::seconds(5)) == std::future_status::ready) {
        try {
          future.get();
        } catch (...) {
        }
      }
      return std::nullopt;
    }
  }
  return future.get();
}

class CpprestTransport final : public Transport {
 public:
  CpprestTransport(ClusterConfig config, CpprestTransportOptions options)
      : config_(std::move(config)), options_(std::move(options)) {
    if (options_.user_agent.empty())
      options_.user_agent = std::string("tfws-operator/") + TFWS_VERSION;
    try {
      base_uri_ = web::uri(config_.server);
    } catch (const std::exception& e) {
      throw ConfigError(config_.origin + ": server \"" + config_.server + "\": " + e.what());
    }
  }

  std::string Host() const override { return config_.server; }

  HttpResponse Send(const HttpRequest& request) override {
    Credentials credentials = config_.credentials->Get();
    auto clients = ClientsFor(credentials);
    const std::optional<SteadyTime> deadline = DeadlineOf(request);
    pplx::cancellation_token_source cancel;
    bool expired = false;
    if (request.cancel.stop_requested()) throw TransportError(Describe(request) + ": cancelled before it was sent");
    std::stop_callback on_cancel(request.cancel, [&cancel] { cancel.cancel(); });  // at once, not at Await's next poll
    try {
      http_request message = Build(request, credentials);
      auto task =
          clients->normal->request(message, cancel.get_token()).then([](http_response response) {
            return response.extract_utf8string(true).then([response](std::string body) {
              HttpResponse out;
              out.status = response.status_code();
              out.body = std::move(body);
              for (const auto& [name, value] : response.headers()) out.headers[Lower(name)] = value;
              return out;
            });
          });
      auto result = Await(task, deadline, request.cancel, cancel, expired);
      if (!result && !expired) throw TransportError(Describe(request) + ": cancelled in flight");
      if (!result)
        throw TransportError(Describe(request) + ": deadline of " +
                             std::to_string(request.deadline.count()) + " ms exceeded");
      return std::move(*result);
    } catch (const TransportError&) {
      throw;
    } catch (const std::exception& e) {
      if (request.cancel.stop_requested()) throw TransportError(Describe(request) + ": cancelled in flight");
      throw TransportError(Describe(request) + ": " + e.what());
    }
  }

  HttpResponse Stream(const HttpRequest& request, const ChunkHandler& on_chunk,
                      std::stop_token stop) override {
    Credentials credentials = config_.credentials->Get();
    auto clients = ClientsFor(credentials);
    const std::optional<SteadyTime> deadline = DeadlineOf(request);
    pplx::cancellation_token_source cancel;
    // Whatever way we leave (end, stop, exception from on_chunk), close the
    // connection: a half-read body cannot go back to the pool.
    struct CancelOnExit {
      pplx::cancellation_token_source& source;
      ~CancelOnExit() { source.cancel(); }
    } cancel_on_exit{cancel};
    std::stop_callback on_stop(stop, [&cancel] { cancel.cancel(); });
    bool expired = false;
    auto check = [&](const char* what) {
      if (expired) {
        throw TransportError(Describe(request) + ": deadline of " +
                             std::to_string(request.deadline.count()) + " ms exceeded while " +
                             what);
      }
    };
    try {
      http_request message = Build(request, credentials);
      auto response = Await(clients->streaming->request(message, cancel.get_token()), deadline,
                            stop, cancel, expired);
      check("waiting for the response headers");
      if (!response) return HttpResponse{200, {}, {}};  // stopped
      HttpResponse out;
      out.status = response->status_code();
      for (const auto& [name, value] : response->headers()) out.headers[Lower(name)] = value;
      if (out.status < 200 || out.status > 299) {
        auto body = Await(response->extract_utf8string(true), deadline, stop, cancel, expired);
        check("reading an error body");
        if (body) out.body = std::move(*body);
        return out;
      }
      auto buffer = response->body().streambuf();
      std::vector<uint8_t> data(kChunkBytes);
      for (;;) {
        // Wait for at least one byte, then take whatever else has arrived:
        // cpprest's buffer completes a larger read only when it is full.
        auto first = Await(buffer.getn(data.data(), 1), deadline, stop, cancel, expired);
        check("reading the stream");
        if (!first || *first == 0) break;  // stopped, or the server ended the stream
        std::size_t n = *first;
        std::size_t available = std::min<std::size_t>(buffer.in_avail(), data.size() - 1);
        if (available > 0)
          n += buffer.getn(data.data() + 1, available).get();  // ready: does not block
        if (!on_chunk(std::string_view(reinterpret_cast<const char*>(data.data()), n))) break;
      }
      return out;
    } catch (const TransportError&) {
      throw;
    } catch (const ConfigError&) {
      throw;
    } catch (const ApiError&) {
      throw;
    } catch (const std::exception& e) {
      if (stop.stop_requested()) return HttpResponse{200, {}, {}};
      throw TransportError(Describe(request) + ": " + e.what());
    }
  }

 private:
  struct Clients {
    std::string cert_pem;
    std::string key_pem;
    std::shared_ptr<http_client> normal;
    std::shared_ptr<http_client> streaming;
  };

  std::string Describe(const HttpRequest& request) const {
    return request.method + " " + config_.server + request.path;
  }

  http_client_config MakeConfig(const std::string& cert_pem, const std::string& key_pem,
                                std::chrono::seconds idle_timeout) const {
    http_client_config config;
    config.set_timeout(idle_timeout);
    config.set_validate_certificates(!config_.tls.insecure_skip_verify);
    std::string ca = config_.tls.ca_pem;
    config.set_ssl_context_callback([ca, cert_pem, key_pem](boost::asio::ssl::context& context) {
      boost::system::error_code ignored;  // PEM data was validated when the config was loaded
      if (!ca.empty()) {
        // Trust exactly the cluster's CA, not the system store cpprest preloads.
        SSL_CTX_set_cert_store(context.native_handle(), X509_STORE_new());
        context.add_certificate_authority(boost::asio::buffer(ca), ignored);
      }
      if (!cert_pem.empty()) {
        context.use_certificate_chain(boost::asio::buffer(cert_pem), ignored);
        context.use_private_key(boost::asio::buffer(key_pem), boost::asio::ssl::context::pem,
                                ignored);
      }
    });
    return config;
  }

  std::shared_ptr<const Clients> ClientsFor(const Credentials& credentials) {
    std::string cert = credentials.client_cert_pem.empty() ? config_.tls.client_cert_pem
                                                           : credentials.client_cert_pem;
    std::string key = credentials.client_cert_pem.empty() ? config_.tls.client_key_pem
                                                          : credentials.client_key_pem;
    std::lock_guard lock(mutex_);
    if (!clients_ || clients_->cert_pem != cert || clients_->key_pem != key) {
      auto fresh = std::make_shared<Clients>();
      fresh->cert_pem = cert;
      fresh->key_pem = key;
      fresh->normal =
          std::make_shared<http_client>(base_uri_, MakeConfig(cert, key, std::chrono::seconds(60)));
      fresh->streaming = std::make_shared<http_client>(
          base_uri_, MakeConfig(cert, key, options_.stream_idle_timeout));
      clients_ = fresh;
    }
    return clients_;
  }

  http_request Build(const HttpRequest& request, const Credentials& credentials) const {
    http_request message(request.method);
    message.set_request_uri(web::uri(request.path));
    auto& headers = message.headers();
    headers.add("User-Agent", options_.user_agent);
    headers.add("Accept", request.accept.empty() ? "application/json" : request.accept);
    if (!credentials.bearer_token.empty())
      headers.add("Authorization", "Bearer " + credentials.bearer_token);
    // cpprest takes SNI and the name it verifies from the Host header.
    if (!config_.tls.server_name.empty()) headers.add("Host", config_.tls.server_name);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      message.set_body(request.body,
                       request.content_type.empty() ? "application/json" : request.content_type);
    }
    return message;
  }

  ClusterConfig config_;
  CpprestTransportOptions options_;
  web::uri base_uri_;
  std::mutex mutex_;
  std::shared_ptr<const Clients> clients_;
};

}  // namespace

bool SizeCpprestThreadPool(std::size_t threads) {
  static std::once_flag once;
  static bool sized = false;
  std::call_once(once, [threads] {
    try {
      crossplat::threadpool::initialize_with_threads(threads);
      sized = true;
    } catch (const std::exception&) {
      // Something used cpprest before us: its default pool stays.
    }
  });
  return sized;
}

std::shared_ptr<Transport> MakeCpprestTransport(const ClusterConfig& config,
                                                const CpprestTransportOptions& options) {
  SizeCpprestThreadPool(kCpprestThreads);
  return std::make_shared<CpprestTransport>(config, options);
}

}  // namespace tfws::kube
