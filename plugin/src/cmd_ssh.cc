// kubectl tfws ssh-proxy / ssh / ssh-config: SSH to a workspace through the
// API server's port-forward (kube/port_forward.h), so ssh, scp, rsync and VS
// Code Remote-SSH need nothing but the right to port-forward to one's own Pod.
// ssh-proxy is the stdio ProxyCommand; ssh and ssh-config pin the workspace's
// host key (from its host-key Secret when readable, checked against
// status.sshHostKeyFingerprint) under the alias tfws-NAME.NAMESPACE in
// ~/.cache/tfws/known_hosts.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "command.h"
#include "errors.h"
#include "kube/base64.h"
#include "pod_tunnel.h"
#include "session.h"
#include "workspace_status.h"
#include "workspace/naming.h"
#include "workspace/ssh_host_keys.h"
#include "workspace/workspace_types.h"

namespace tfws::plugin {

namespace {

constexpr const char* kDefaultUser = "tfws";  // the image's user (images/tf29-workspace/sshd_config)

std::string HostAlias(const std::string& name) { return "tfws-" + name; }
std::string HostKeyAlias(const std::string& name, const std::string& ns) { return "tfws-" + name + "." + ns; }

void RequireSsh(const nlohmann::json& ws) {
  if (!ws.value("/spec/ssh/enabled"_json_pointer, false)) {
    const auto name = ws["metadata"].value("name", "");
    throw PluginError("tfworkspace \"" + name + "\" has SSH off (spec.ssh.enabled is false): set spec.ssh.enabled: " +
                      "true with your key in spec.ssh.authorizedKeys (kubectl tfws create NAME --ssh-key " +
                      "~/.ssh/id_ed25519.pub does both)");
  }
  // The operator turned SSH off for this spec (e.g. an image without sshd): its message says why.
  if (const std::string why = SshUnavailableReason(ws); !why.empty()) {
    throw PluginError("cannot ssh to tfworkspace \"" + ws["metadata"].value("name", "") + "\": " + why);
  }
}

// As the shell ssh runs ProxyCommand with reads it: as is when plain, else single-quoted.
std::string ShellQuote(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                             "0123456789_./:=@%+-") == std::string::npos;
  if (plain) return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string SelfPath() {
  std::error_code error;
  auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("kubectl-tfws") : path.string();
}

// `<this binary> ssh-proxy NAME -n NS [--kubeconfig ABS] [--context C]`, quoted.
std::string ProxyCommand(const ParsedArgs& args, const std::string& name, const std::string& ns) {
  std::vector<std::string> words = {SelfPath(), "ssh-proxy", name, "-n", ns};
  if (args.Has("kubeconfig")) {
    words.push_back("--kubeconfig");
    words.push_back(std::filesystem::absolute(args.Get("kubeconfig")).string());
  }
  if (args.Has("context")) {
    words.push_back("--context");
    words.push_back(args.Get("context"));
  }
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += ShellQuote(w);
  }
  return out;
}

std::filesystem::path KnownHostsFile() {
  const char* cache = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::filesystem::path base = cache && *cache ? cache : std::filesystem::path(home ? home : "/tmp") / ".cache";
  return base / "tfws" / "known_hosts";
}

// The workspace's host public key ("ssh-ed25519 AAAA..."), or "" when its
// Secret cannot be read (`why` then says why). A key whose fingerprint differs
// from status.sshHostKeyFingerprint is an error: the Secret changed hands.
std::string HostPublicKey(Session& session, const nlohmann::json& ws, std::string& why) {
  const auto parsed = workspace::ParseWorkspace(ws);
  const auto secret_name = workspace::names::SshHostKeySecret(parsed);
  nlohmann::json secret;
  try {
    secret = session.client().Get(kube::resources::kSecrets, session.ns(), secret_name);
  } catch (const kube::ApiError& e) {
    why = "secret \"" + secret_name + "\": " + e.message();
    return "";
  }
  std::string key;
  const auto encoded = secret.value("/data"_json_pointer, nlohmann::json::object())
                           .value(workspace::kHostKeyPublicKey, std::string());
  if (encoded.empty() || !kube::DecodeBase64(encoded, key)) {
    why = "secret \"" + secret_name + "\" has no key " + workspace::kHostKeyPublicKey;
    return "";
  }
  std::istringstream words(key);
  std::string type, blob;
  words >> type >> blob;
  const auto expected = ws.value("/status/sshHostKeyFingerprint"_json_pointer, std::string());
  const auto actual = workspace::HostKeySecretFingerprint(secret);
  if (!expected.empty() && !actual.empty() && expected != actual) {
    throw PluginError("the host key in secret \"" + secret_name + "\" (" + actual +
                      ") is not the one tfworkspace \"" + parsed.name + "\" reports (" + expected +
                      "): refusing to trust it; ask your platform team who replaced the Secret");
  }
  return type + " " + blob;
}

// Replaces the line for `alias` in the known_hosts file (created 0600).
void PinHostKey(const std::filesystem::path& file, const std::string& alias, const std::string& public_key) {
  std::filesystem::create_directories(file.parent_path());
  std::vector<std::string> lines;
  {
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(alias + " ", 0) != 0) lines.push_back(line);
    }
  }
  lines.push_back(alias + " " + public_key);
  const auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& l : lines) out << l << "\n";
    if (!out) throw PluginError("cannot write " + tmp + ": check the directory is writable");
  }
  chmod(tmp.c_str(), 0600);
  std::filesystem::rename(tmp, file);
}

struct SshTarget {
  std::string name;
  std::string user;
  std::string proxy_command;
  std::string host_key_alias;
  std::filesystem::path known_hosts;
  bool pinned = false;            // the key is in known_hosts: strict checking
  std::string fingerprint;        // status.sshHostKeyFingerprint, when not pinned
  std::string unpinned_reason;
};

SshTarget ResolveTarget(const Invocation& inv, const std::string& command) {
  const auto name = RequireName(inv.args, command);
  auto session = Session::Connect(inv.args);
  const auto ws = GetWorkspace(session, name);
  RequireSsh(ws);
  SshTarget t;
  t.name = name;
  t.user = inv.args.Get("user", kDefaultUser);
  t.proxy_command = ProxyCommand(inv.args, name, session.ns());
  t.host_key_alias = HostKeyAlias(name, session.ns());
  t.known_hosts = KnownHostsFile();
  const auto key = HostPublicKey(session, ws, t.unpinned_reason);
  if (!key.empty()) {
    PinHostKey(t.known_hosts, t.host_key_alias, key);
    t.pinned = true;
  } else {
    t.fingerprint = ws.value("/status/sshHostKeyFingerprint"_json_pointer, std::string());
  }
  return t;
}

void WarnUnpinned(const SshTarget& t, std::ostream& err) {
  if (t.pinned) return;
  err << "warning: the host key of tfworkspace \"" << t.name << "\" is not readable (" << t.unpinned_reason << "); "
      << (t.fingerprint.empty() ? "the operator has not reported its fingerprint yet"
                                : "ssh will show a fingerprint: accept it only if it is " + t.fingerprint)
      << "\n";
}

int RunProxy(const Invocation& inv) {
  const auto name = RequireName(inv.args, "ssh-proxy");
  const auto port = static_cast<uint16_t>(inv.args.Int("port", 1, 65535).value_or(workspace::kSshPort));
  auto session = Session::Connect(inv.args);
  const auto ws = GetWorkspace(session, name);
  RequireSsh(ws);
  const auto pod = RunningPodOf(ws, "ssh to it");
  auto tunnel = OpenTunnel(session, name, pod, port);
  std::signal(SIGPIPE, SIG_IGN);  // ssh going away must end the relay, not kill it mid-write
  RelayTunnel(*tunnel, STDIN_FILENO, STDOUT_FILENO, name, pod, port);
  return 0;
}

int RunSsh(const Invocation& inv) {
  const auto t = ResolveTarget(inv, "ssh");
  WarnUnpinned(t, inv.err);
  std::vector<std::string> argv = {"ssh",
                                   "-o", "ProxyCommand=" + t.proxy_command,
                                   "-o", "HostKeyAlias=" + t.host_key_alias,
                                   "-o", "UserKnownHostsFile=" + t.known_hosts.string(),
                                   "-o", std::string("StrictHostKeyChecking=") + (t.pinned ? "yes" : "ask")};
  for (const auto& identity : inv.args.All("identity")) {
    argv.push_back("-i");
    argv.push_back(identity);
  }
  argv.push_back(t.user + "@" + HostAlias(t.name));
  argv.insert(argv.end(), inv.args.after_dashes.begin(), inv.args.after_dashes.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  inv.out.flush();
  inv.err.flush();
  execvp("ssh", raw.data());
  throw PluginError(std::string("cannot run ssh: ") + std::strerror(errno) +
                    "; install the OpenSSH client (Debian/Ubuntu: apt install openssh-client)");
}

int RunSshConfig(const Invocation& inv) {
  const auto t = ResolveTarget(inv, "ssh-config");
  WarnUnpinned(t, inv.err);
  inv.out << "Host " << HostAlias(t.name) << "\n"
          << "  User " << t.user << "\n"
          << "  ProxyCommand " << t.proxy_command << "\n"
          << "  HostKeyAlias " << t.host_key_alias << "\n"
          << "  UserKnownHostsFile " << t.known_hosts.string() << "\n"
          << "  StrictHostKeyChecking " << (t.pinned ? "yes" : "ask") << "\n";
  for (const auto& identity : inv.args.All("identity")) inv.out << "  IdentityFile " << identity << "\n";
  return 0;
}

const FlagSpec kUserFlag{"user", 'l', true, false, "USER", "log in as USER (default tfws, the image's user)"};
const FlagSpec kIdentityFlag{"identity", 'i', true, true, "FILE", "private key file, passed to ssh -i"};

}  // namespace

Command SshProxyCommand() {
  return {"ssh-proxy",
          "Connect stdin/stdout to a workspace's sshd through the API server (an ssh ProxyCommand)",
          "kubectl tfws ssh-proxy NAME [--port N]",
          "Port-forwards one connection to the workspace Pod's SSH port (2222) over the API server's\n"
          "WebSocket port-forward and relays it on stdin/stdout, for ssh's ProxyCommand. Needs only\n"
          "create/get on pods/portforward in the namespace, no Service or NodePort.\n"
          "\nExample (what kubectl tfws ssh-config writes):\n"
          "  ssh -o ProxyCommand='kubectl-tfws ssh-proxy alice-resnet -n ml-team' tfws@tfws-alice-resnet\n",
          {{"port", 0, true, false, "N", "the Pod port to reach (default 2222, sshd)"}},
          RunProxy};
}

Command SshCommand() {
  return {"ssh",
          "SSH into a workspace through the API server's port-forward",
          "kubectl tfws ssh NAME [-l USER] [-i KEY] [-- SSH ARGS...]",
          "Runs ssh with kubectl tfws ssh-proxy as ProxyCommand and the workspace's host key pinned\n"
          "(read from its Secret <NAME>-ssh-host and checked against status.sshHostKeyFingerprint;\n"
          "kept under the alias tfws-NAME.NAMESPACE in ~/.cache/tfws/known_hosts). Arguments after --\n"
          "go to ssh after the destination: options, then a remote command.\n"
          "\nExamples:\n"
          "  kubectl tfws ssh alice-resnet\n"
          "  kubectl tfws ssh alice-resnet -i ~/.ssh/id_ed25519 -- nvidia-smi\n"
          "  kubectl tfws ssh alice-resnet -- -L 6006:localhost:6006\n",
          {kUserFlag, kIdentityFlag},
          RunSsh};
}

Command SshConfigCommand() {
  return {"ssh-config",
          "Print an ssh_config Host block for a workspace (for scp, rsync, VS Code Remote-SSH)",
          "kubectl tfws ssh-config NAME [-l USER] [-i KEY]",
          "Prints a `Host tfws-NAME` block whose ProxyCommand is kubectl tfws ssh-proxy, and pins the\n"
          "workspace's host key in ~/.cache/tfws/known_hosts (see kubectl tfws ssh --help).\n"
          "\nExamples:\n"
          "  kubectl tfws ssh-config alice-resnet >> ~/.ssh/config\n"
          "  scp data.csv tfws-alice-resnet:/tf/\n"
          "  rsync -a src/ tfws-alice-resnet:/tf/src/\n",
          {kUserFlag, kIdentityFlag},
          RunSshConfig};
}

}  // namespace tfws::plugin
