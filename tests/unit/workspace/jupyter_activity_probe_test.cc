// The activity probe. Without a server: an unreachable Jupyter is an error
// that names the URL. Against a real Jupyter Notebook (tests/contract/
// image_jupyter.sh runs Debian's with the rendered command line and sets
// TFWS_JUPYTER_BASE_URL and TFWS_JUPYTER_TOKEN; skipped otherwise): the
// token is used, activity is read, the probe itself is not activity, a user's
// request is.
#include "workspace/jupyter_activity_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cpprest/http_client.h>

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace tfws::workspace {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(JupyterActivityProbe, AnUnreachableJupyterIsAnErrorNamingTheUrl) {
  const ActivityProbeResult r = MakeJupyterActivityProbe(std::chrono::seconds(2))(
      "http://127.0.0.1:1/tfws/team-a/alice/", "secret-token-value");
  EXPECT_FALSE(r.activity);
  EXPECT_THAT(r.error, HasSubstr("GET http://127.0.0.1:1/tfws/team-a/alice/api/status"));
  EXPECT_THAT(r.error, Not(HasSubstr("secret-token-value")));
}

// A server on 127.0.0.1 that answers one request with "200" and a body of
// `offered` bytes (Content-Length, or none and close), sent as fast as the
// client takes it; counts what left. Stands in for a workspace user's own
// server on port 8888: the operator must not read more than it needs.
class EndlessAnswerServer {
 public:
  static constexpr std::size_t kOffered = 256u << 20;

  explicit EndlessAnswerServer(bool content_length) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(listener_, 4) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot listen on 127.0.0.1";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, content_length] { Serve(content_length); });
  }
  ~EndlessAnswerServer() { Join(); }
  // Waits until the server stopped sending; returns the body bytes that left it.
  std::size_t Join() {
    if (thread_.joinable()) {
      ::shutdown(listener_, SHUT_RDWR);
      thread_.join();
      ::close(listener_);
    }
    return sent_;
  }
  std::string BaseUrl() const { return "http://127.0.0.1:" + std::to_string(port_) + "/tfws/team-a/alice/"; }

 private:
  void Serve(bool content_length) {
    const int conn = ::accept(listener_, nullptr, nullptr);
    if (conn < 0) return;
    timeval two_seconds{2, 0};  // a client that stopped reading: stop after the kernel buffers filled
    ::setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &two_seconds, sizeof two_seconds);
    char request[4096];
    (void)::recv(conn, request, sizeof request, 0);
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
                             (content_length ? "Content-Length: " + std::to_string(kOffered) + "\r\n"
                                             : std::string("Connection: close\r\n")) +
                             "\r\n";
    (void)::send(conn, head.data(), head.size(), MSG_NOSIGNAL);
    const std::string block(64 * 1024, ' ');
    while (sent_ < kOffered) {
      const ssize_t n = ::send(conn, block.data(), block.size(), MSG_NOSIGNAL);
      if (n <= 0) break;
      sent_ += static_cast<std::size_t>(n);
    }
    ::close(conn);
  }

  int listener_ = -1;
  int port_ = 0;
  std::atomic<std::size_t> sent_{0};
  std::thread thread_;
};

long MaxRssKiB() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(JupyterActivityProbe, AnOversizedAnswerIsAnErrorAndTheOperatorReadsOnlyAFewKiB) {
  for (const bool content_length : {true, false}) {
    SCOPED_TRACE(content_length ? "with Content-Length" : "until the connection closes");
    const long rss_before = MaxRssKiB();
    EndlessAnswerServer server(content_length);
    const ActivityProbeResult r = MakeJupyterActivityProbe(std::chrono::seconds(5))(server.BaseUrl(), "secret-token-value");
    const std::size_t sent = server.Join();
    EXPECT_FALSE(r.activity);
    EXPECT_THAT(r.error, HasSubstr("api/status: the answer is larger than 16384 bytes"));
    EXPECT_THAT(r.error, Not(HasSubstr("secret-token-value")));
    // What left the server is at most what the kernel's socket buffers hold on
    // loopback (a few MiB), not the 256 MiB it offered, and the probe's memory did not grow with it.
    EXPECT_LT(sent, 32u << 20) << "the probe kept reading";
    EXPECT_LT(MaxRssKiB() - rss_before, 32 * 1024) << "peak RSS grew by more than 32 MiB";
    std::printf("[ measured ] %s: server got %zu bytes out of %zu offered; peak RSS +%ld KiB\n",
                content_length ? "Content-Length" : "close-delimited", sent, EndlessAnswerServer::kOffered,
                MaxRssKiB() - rss_before);
  }
}

TEST(JupyterActivityProbeAgainstJupyter, ReadsActivityWithTheTokenWithoutCountingAsActivity) {
  const char* base = std::getenv("TFWS_JUPYTER_BASE_URL");
  const char* token = std::getenv("TFWS_JUPYTER_TOKEN");
  if (!base || !token) GTEST_SKIP() << "run by tests/contract/image_jupyter.sh against a real Jupyter";
  const ActivityProbe probe = MakeJupyterActivityProbe();

  // A kernel that just started still sends its startup messages (activity);
  // once it is quiet, probes a second apart see the same last activity.
  ActivityProbeResult first, second;
  for (int attempt = 0; attempt < 15; ++attempt) {
    first = probe(base, token);
    ASSERT_TRUE(first.activity) << first.error;
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    second = probe(base, token);
    ASSERT_TRUE(second.activity) << second.error;
    if (second.activity->last_activity == first.activity->last_activity) break;
  }
  ASSERT_TRUE(first.activity->last_activity);
  EXPECT_GE(first.activity->kernels, 1) << "the contract test started a kernel";
  EXPECT_FALSE(first.activity->busy);
  EXPECT_EQ(second.activity->last_activity, first.activity->last_activity) << "probing is not activity";

  // A user's request is activity.
  web::http::client::http_client user(utility::conversions::to_string_t(std::string(base) + "api/contents"));
  web::http::http_request request(web::http::methods::GET);
  request.headers().add("Authorization", std::string("token ") + token);
  ASSERT_EQ(user.request(request).get().status_code(), 200);
  const ActivityProbeResult third = probe(base, token);
  ASSERT_TRUE(third.activity) << third.error;
  EXPECT_GT(third.activity->last_activity, first.activity->last_activity);

  const ActivityProbeResult refused = probe(base, std::string("wrong-") + token);
  EXPECT_FALSE(refused.activity);
  EXPECT_THAT(refused.error, HasSubstr("HTTP 403 (the token was refused)"));
  EXPECT_THAT(refused.error, Not(HasSubstr(token)));
}

}  // namespace
}  // namespace tfws::workspace
