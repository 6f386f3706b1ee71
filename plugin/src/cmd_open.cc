// kubectl tfws open NAME: Jupyter in the browser. With an Ingress, its URL with
// the token; without one, a local listener whose every connection is
// port-forwarded through the API server to the Pod's Jupyter port (8888), and
// the localhost URL with the token. Runs until interrupted in that case.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>

#include "command.h"
#include "errors.h"
#include "pod_tunnel.h"
#include "session.h"
#include "workspace/naming.h"
#include "workspace/workspace_types.h"

namespace tfws::plugin {

namespace {

// The Ingress URL from status.url, or "" when the workspace has none (the
// operator then reports the in-cluster Service URL, http://<svc>.<ns>.svc:8888/...).
std::string IngressUrl(const nlohmann::json& ws) {
  if (!ws.value("/spec/ingress/enabled"_json_pointer, false)) return "";
  const auto url = ws.value("/status/url"_json_pointer, std::string());
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) return "";
  return url;
}

std::string WithToken(const std::string& url, const std::string& token) {
  return token.empty() ? url : url + "?token=" + token;
}

// Starts the desktop's browser when there is a desktop; false otherwise.
bool StartBrowser(const std::string& url) {
  if (!std::getenv("DISPLAY") && !std::getenv("WAYLAND_DISPLAY")) return false;
  const pid_t pid = fork();
  if (pid == 0) {
    execlp("xdg-open", "xdg-open", url.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int Listen(const std::string& address, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
    throw UsageError("--address " + address + ": not an IPv4 address (e.g. 127.0.0.1)");
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 64) != 0) {
    throw PluginError("cannot listen on " + address + ":" + std::to_string(port) + ": " + std::strerror(errno) +
                      (port ? "; pick another --port or leave it out for a free one" : ""));
  }
  return fd;
}

int BoundPort(int fd) {
  sockaddr_in addr{};
  socklen_t size = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  return ntohs(addr.sin_port);
}

int Run(const Invocation& inv) {
  const auto name = RequireName(inv.args, "open");
  auto session = Session::Connect(inv.args);
  const auto ws = GetWorkspace(session, name);
  const bool token_auth = ws.value("/spec/jupyter/auth"_json_pointer, std::string("token")) != "none";
  const bool browser = !inv.args.Bool("no-browser");

  if (const auto url = IngressUrl(ws); !url.empty()) {
    const auto full = WithToken(url, token_auth ? ReadJupyterToken(session, ws) : "");
    inv.out << full << std::endl;
    if (browser) StartBrowser(full);
    return 0;
  }

  const auto pod = RunningPodOf(ws, "open it");
  const auto port = static_cast<uint16_t>(workspace::kJupyterPort);
  const auto token = token_auth ? ReadJupyterToken(session, ws) : "";
  OpenTunnel(session, name, pod, port);  // fail now, not at the first click: RBAC, Pod gone
  const int listener = Listen(inv.args.Get("address", "127.0.0.1"), inv.args.Int("port", 0, 65535).value_or(0));
  const auto base = workspace::BaseUrl(workspace::ParseWorkspace(ws));
  const auto local = WithToken("http://" + inv.args.Get("address", "127.0.0.1") + ":" +
                                   std::to_string(BoundPort(listener)) + base, token);
  inv.err << "Forwarding " << inv.args.Get("address", "127.0.0.1") << ":" << BoundPort(listener) << " -> pod/" << pod
          << ":" << port << " through the API server (Ctrl-C stops)" << std::endl;
  inv.out << local << std::endl;
  if (browser) StartBrowser(local);

  std::signal(SIGPIPE, SIG_IGN);
  std::mutex err_mutex;
  for (;;) {
    const int client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      throw PluginError(std::string("accept on the local port failed: ") + std::strerror(errno));
    }
    // One forwarded connection per browser connection; the session lives as long as the process.
    std::thread([&session, &inv, &err_mutex, name, pod, port, client] {
      try {
        auto tunnel = OpenTunnel(session, name, pod, port);
        RelayTunnel(*tunnel, client, client, name, pod, port);
      } catch (const std::exception& e) {
        std::lock_guard lock(err_mutex);
        inv.err << "error: " << e.what() << std::endl;
      }
      close(client);
    }).detach();
  }
}

}  // namespace

Command OpenCommand() {
  return {"open",
          "Open Jupyter: the Ingress URL with the token, or a local port-forward to it",
          "kubectl tfws open NAME [--no-browser] [--port N] [--address IP]",
          "With an Ingress (spec.ingress.enabled) prints its URL with the token. Without one, listens\n"
          "on a local port, forwards each connection through the API server to the Pod's Jupyter\n"
          "(port 8888; needs create/get on pods/portforward) and prints http://127.0.0.1:PORT/...?token=...;\n"
          "it keeps forwarding until Ctrl-C. The browser starts when there is a desktop, unless --no-browser.\n"
          "\nExamples:\n"
          "  kubectl tfws open alice-resnet\n"
          "  kubectl tfws open alice-resnet --no-browser --port 8888\n",
          {
              {"no-browser", 0, false, false, "", "only print the URL"},
              {"port", 0, true, false, "N", "local port (default: a free one)"},
              {"address", 0, true, false, "IP", "local address to listen on (default 127.0.0.1)"},
          },
          Run};
}

}  // namespace tfws::plugin
