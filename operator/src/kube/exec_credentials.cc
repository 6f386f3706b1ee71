#include "kube/exec_credentials.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "kube/api_error.h"
#include "time/rfc3339.h"

extern char** environ;

namespace tfws::kube {
namespace {

using nlohmann::json;

std::string Tail(const std::string& text, std::size_t max = 400) {
  std::string out = text.size() > max ? "..." + text.substr(text.size() - max) : text;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' '))
    out.pop_back();
  return out;
}

// A pipe whose ends are closed on scope exit unless released.
struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() {
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::strerror(errno));
  }
  ~Pipe() {
    for (int fd : fds)
      if (fd >= 0) ::close(fd);
  }
  void CloseWrite() {
    if (fds[1] >= 0) ::close(fds[1]);
    fds[1] = -1;
  }
};

struct ProcessResult {
  int exit_status = 0;  // as from waitpid
  std::string out;
  std::string err;
  bool timed_out = false;
};

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                         std::chrono::milliseconds timeout) {
  Pipe out_pipe, err_pipe;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe.fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe.fds[1], 2);

  std::vector<char*> c_argv;
  for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
  c_argv.push_back(nullptr);
  std::vector<char*> c_env;
  for (const auto& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
  c_env.push_back(nullptr);

  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, c_argv[0], &actions, nullptr, c_argv.data(), c_env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error(std::string("cannot start it: ") + std::strerror(rc));
  out_pipe.CloseWrite();
  err_pipe.CloseWrite();

  ProcessResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe.fds[0], POLLIN, 0}, {err_pipe.fds[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    int ready = ::poll(fds, 2, static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) continue;
      ::kill(pid, SIGKILL);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<std::size_t>(n));
        if (result.out.size() > (8u << 20)) {  // a credential is small; stop a runaway plugin
          result.timed_out = true;
          ::kill(pid, SIGKILL);
          open_fds = 0;
          break;
        }
      } else if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status = status;
  return result;
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended abnormally";
}

std::string ExecInfo(const ExecConfig& config) {
  json spec = {{"interactive", false}};
  if (config.provide_cluster_info && !config.cluster_info.is_null())
    spec["cluster"] = config.cluster_info;
  return json{{"apiVersion", config.api_version}, {"kind", "ExecCredential"}, {"spec", spec}}
      .dump();
}

}  // namespace

ExecCredentials::ExecCredentials(ExecConfig config, time::Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

Credentials ExecCredentials::Get() {
  std::lock_guard lock(mutex_);
  if (cached_ && (!expiry_ || clock_.WallNow() < *expiry_)) return *cached_;
  auto [credentials, expiry] = ParseOutput(config_, Run());
  ++runs_;
  cached_ = credentials;
  expiry_ = expiry;
  return credentials;
}

bool ExecCredentials::Invalidate() {
  std::lock_guard lock(mutex_);
  cached_.reset();
  expiry_.reset();
  return true;
}

int ExecCredentials::runs() const {
  std::lock_guard lock(mutex_);
  return runs_;
}

std::string ExecCredentials::Run() const {
  std::vector<std::string> argv{config_.command};
  argv.insert(argv.end(), config_.args.begin(), config_.args.end());
  std::vector<std::string> env;
  auto overridden = [&](std::string_view entry) {
    auto eq = entry.find('=');
    std::string_view name = entry.substr(0, eq);
    if (name == "KUBERNETES_EXEC_INFO") return true;
    for (const auto& [k, v] : config_.env)
      if (k == name) return true;
    return false;
  };
  for (char** e = environ; e && *e; ++e) {
    if (!overridden(*e)) env.emplace_back(*e);
  }
  for (const auto& [k, v] : config_.env) env.push_back(k + "=" + v);
  env.push_back("KUBERNETES_EXEC_INFO=" + ExecInfo(config_));

  std::string what = config_.origin + ": command \"" + config_.command + "\"";
  std::string hint = config_.install_hint.empty() ? "" : " (" + config_.install_hint + ")";
  ProcessResult result;
  try {
    result = RunProcess(argv, env, config_.timeout);
  } catch (const std::exception& e) {
    throw ConfigError(what + ": " + e.what() + hint);
  }
  if (result.timed_out) {
    throw ConfigError(what + ": did not finish within " + std::to_string(config_.timeout.count()) +
                      " ms" + (result.err.empty() ? "" : ": " + Tail(result.err)));
  }
  if (!WIFEXITED(result.exit_status) || WEXITSTATUS(result.exit_status) != 0) {
    // 127 is the shell's "command not found": the hint tells how to install it.
    throw ConfigError(what + ": " + DescribeExit(result.exit_status) +
                      (result.err.empty() ? "" : ": " + Tail(result.err)) + hint);
  }
  return result.out;
}

std::pair<Credentials, std::optional<std::chrono::system_clock::time_point>>
ExecCredentials::ParseOutput(const ExecConfig& config, const std::string& stdout_text) {
  std::string what = config.origin + ": command \"" + config.command + "\"";
  json out = json::parse(stdout_text, nullptr, false);
  if (!out.is_object()) {
    throw ConfigError(what + ": printed no ExecCredential JSON on stdout" +
                      (stdout_text.empty() ? "" : ": " + Tail(stdout_text, 120)));
  }
  std::string kind = out.value("kind", "");
  if (kind != "ExecCredential") {
    throw ConfigError(what + ": output kind is \"" + kind + "\", want \"ExecCredential\"");
  }
  std::string api_version = out.value("apiVersion", "");
  if (api_version != config.api_version) {
    throw ConfigError(what + ": output apiVersion is \"" + api_version + "\", want \"" +
                      config.api_version + "\"");
  }
  auto status = out.find("status");
  if (status == out.end() || !status->is_object()) {
    throw ConfigError(what + ": output has no status");
  }
  auto text = [&](const char* key) -> std::string {
    auto it = status->find(key);
    if (it == status->end() || it->is_null()) return {};
    if (!it->is_string()) throw ConfigError(what + ": status." + key + ": must be a string");
    return it->get<std::string>();
  };
  Credentials credentials{text("token"), text("clientCertificateData"), text("clientKeyData")};
  if (credentials.client_cert_pem.empty() != credentials.client_key_pem.empty()) {
    throw ConfigError(
        what + ": status.clientCertificateData and status.clientKeyData must be set together");
  }
  if (credentials.bearer_token.empty() && credentials.client_cert_pem.empty()) {
    throw ConfigError(what + ": status has neither token nor clientCertificateData/clientKeyData");
  }
  std::optional<std::chrono::system_clock::time_point> expiry;
  std::string expiration = text("expirationTimestamp");
  if (!expiration.empty()) {
    expiry = time::ParseRfc3339(expiration);
    if (!expiry) {
      throw ConfigError(what + ": status.expirationTimestamp \"" + expiration +
                        "\": not an RFC 3339 time");
    }
  }
  return {credentials, expiry};
}

}  // namespace tfws::kube
