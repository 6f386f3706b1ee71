#include "kube/kubeconfig.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>

#include "kube/api_error.h"
#include "kube/base64.h"
#include "kube/exec_credentials.h"
#include "kube/token_file_credentials.h"

namespace tfws::kube {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxKubeconfigBytes = 4u << 20;

std::string Quote(const std::string& s) { return "\"" + s + "\""; }

// Reads at most kMaxKubeconfigBytes: a path to /dev/zero or a huge file must
// fail with a message, not exhaust memory.
std::optional<std::string> ReadWholeFile(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  std::string text(kMaxKubeconfigBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    error = "read error";
    return std::nullopt;
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxKubeconfigBytes) {
    error = "larger than " + std::to_string(kMaxKubeconfigBytes) + " bytes";
    return std::nullopt;
  }
  return text;
}

// yaml-cpp parses flow collections ([...], {...}) recursively; absurd nesting
// would overflow the stack instead of failing. No kubeconfig nests this deep.
constexpr int kMaxFlowNesting = 64;

bool FlowNestingTooDeep(std::string_view text) {
  int depth = 0;
  for (char c : text) {
    if (c == '[' || c == '{') {
      if (++depth > kMaxFlowNesting) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

// Scalar field of a map node; nullopt when absent or null.
std::optional<std::string> StringField(const YAML::Node& map, const char* key,
                                       const std::string& where) {
  const YAML::Node value = map[key];
  if (!value || value.IsNull()) return std::nullopt;
  if (!value.IsScalar()) throw ConfigError(where + ": " + key + ": must be a string");
  return value.Scalar();
}

bool BoolField(const YAML::Node& map, const char* key, const std::string& where) {
  const YAML::Node value = map[key];
  if (!value || value.IsNull()) return false;
  if (value.IsScalar()) {
    const std::string& s = value.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  throw ConfigError(where + ": " + key + ": must be true or false");
}

std::string ResolvePath(const std::string& path, const std::string& kubeconfig_file) {
  if (path.empty() || fs::path(path).is_absolute()) return path;
  fs::path base = fs::path(kubeconfig_file).parent_path();
  return (base / path).lexically_normal().string();
}

std::string ReadReferencedFile(const std::string& path, const std::string& where,
                               const char* field) {
  std::string error;
  auto text = ReadWholeFile(path, error);
  if (!text) throw ConfigError(where + ": " + field + " " + Quote(path) + ": " + error);
  return *text;
}

std::string DecodeDataField(const std::string& base64, const std::string& where,
                            const char* field) {
  std::string decoded;
  if (!DecodeBase64(base64, decoded)) {
    throw ConfigError(
        where + ": " + field +
        ": not valid base64 (paste the base64 of the PEM file, e.g. `base64 -w0 ca.crt`)");
  }
  return decoded;
}

std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no PEM block found";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

void CheckCertificates(const std::string& pem, const std::string& where, const char* field) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) {
    throw ConfigError(where + ": " + field + ": not a PEM certificate (" + OpenSslError() + ")");
  }
  X509_free(cert);
  ERR_clear_error();
}

void CheckPrivateKey(const std::string& pem, const std::string& where, const char* field) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) {
    throw ConfigError(where + ": " + field + ": not a PEM private key (" + OpenSslError() + ")");
  }
  EVP_PKEY_free(key);
  ERR_clear_error();
}

// PEM from either `<field>` (a file) or `<field>-data` (base64); both set is an error.
std::string PemFromFileOrData(const YAML::Node& body, const std::string& file,
                              const std::string& where, const char* field, const char* data_field) {
  auto path = StringField(body, field, where);
  auto data = StringField(body, data_field, where);
  if (path && !path->empty() && data && !data->empty()) {
    throw ConfigError(where + ": " + field + " and " + data_field + " are both set; keep one");
  }
  if (data && !data->empty()) return DecodeDataField(*data, where, data_field);
  if (path && !path->empty()) return ReadReferencedFile(ResolvePath(*path, file), where, field);
  return {};
}

std::string JoinFiles(const std::vector<std::string>& files) {
  std::string out;
  for (const auto& f : files) out += (out.empty() ? "" : ":") + f;
  return out.empty() ? "<none>" : out;
}

ExecConfig ParseExec(const YAML::Node& exec, const std::string& file, const std::string& where) {
  if (!exec.IsMap()) throw ConfigError(where + ": must be a map with apiVersion and command");
  ExecConfig config;
  config.origin = where;
  config.api_version = StringField(exec, "apiVersion", where).value_or("");
  if (config.api_version.empty()) {
    throw ConfigError(where +
                      ": apiVersion: must be set (client.authentication.k8s.io/v1 or v1beta1)");
  }
  if (config.api_version != "client.authentication.k8s.io/v1" &&
      config.api_version != "client.authentication.k8s.io/v1beta1") {
    throw ConfigError(where + ": apiVersion " + Quote(config.api_version) +
                      ": not supported (use client.authentication.k8s.io/v1 or v1beta1)");
  }
  config.command = StringField(exec, "command", where).value_or("");
  if (config.command.empty()) throw ConfigError(where + ": command: must be set");
  if (config.command.find('/') != std::string::npos)
    config.command = ResolvePath(config.command, file);
  if (const YAML::Node args = exec["args"]; args && !args.IsNull()) {
    if (!args.IsSequence()) throw ConfigError(where + ": args: must be a list of strings");
    for (std::size_t i = 0; i < args.size(); ++i) {
      if (!args[i].IsScalar())
        throw ConfigError(where + ": args[" + std::to_string(i) + "]: must be a string");
      config.args.push_back(args[i].Scalar());
    }
  }
  if (const YAML::Node env = exec["env"]; env && !env.IsNull()) {
    if (!env.IsSequence()) throw ConfigError(where + ": env: must be a list of {name, value}");
    for (std::size_t i = 0; i < env.size(); ++i) {
      std::string item = where + ": env[" + std::to_string(i) + "]";
      if (!env[i].IsMap()) throw ConfigError(item + ": must be a map with name and value");
      auto name = StringField(env[i], "name", item);
      if (!name || name->empty()) throw ConfigError(item + ": name: must be set");
      config.env.emplace_back(*name, StringField(env[i], "value", item).value_or(""));
    }
  }
  config.install_hint = StringField(exec, "installHint", where).value_or("");
  config.provide_cluster_info = BoolField(exec, "provideClusterInfo", where);
  std::string interactive = StringField(exec, "interactiveMode", where).value_or("");
  if (interactive == "Always") {
    throw ConfigError(
        where +
        ": interactiveMode Always: the plugin needs a terminal, but tfws-operator runs "
        "non-interactively; use a plugin mode that prints a token without prompting");
  }
  if (!interactive.empty() && interactive != "Never" && interactive != "IfAvailable") {
    throw ConfigError(where + ": interactiveMode " + Quote(interactive) +
                      ": must be Never, IfAvailable or Always");
  }
  return config;
}

}  // namespace

Kubeconfig Kubeconfig::LoadFiles(const std::vector<std::string>& paths, bool skip_missing) {
  Kubeconfig config;
  for (const auto& path : paths) {
    if (path.empty()) continue;
    std::error_code ec;
    if (skip_missing && !fs::exists(path, ec)) continue;
    if (fs::is_directory(path, ec))
      throw ConfigError("kubeconfig " + path + ": is a directory, not a file");
    std::string error;
    auto text = ReadWholeFile(path, error);
    if (!text) throw ConfigError("kubeconfig " + path + ": cannot be read: " + error);
    config.Merge(*text, path);
  }
  if (config.files_.empty()) {
    throw ConfigError("kubeconfig " + JoinFiles(paths) + ": none of these files exists");
  }
  return config;
}

Kubeconfig Kubeconfig::Parse(std::string_view yaml_text, const std::string& path) {
  Kubeconfig config;
  config.Merge(yaml_text, path);
  return config;
}

void Kubeconfig::Merge(std::string_view yaml_text, const std::string& path) {
  std::string where = "kubeconfig " + path;
  if (yaml_text.size() > kMaxKubeconfigBytes) {
    throw ConfigError(where + ": larger than " + std::to_string(kMaxKubeconfigBytes) +
                      " bytes; is this a kubeconfig?");
  }
  if (FlowNestingTooDeep(yaml_text)) {
    throw ConfigError(where + ": brackets nested deeper than " + std::to_string(kMaxFlowNesting) +
                      " levels; is this a kubeconfig?");
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw ConfigError(where + ": not valid YAML: line " + std::to_string(e.mark.line + 1) +
                      ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  files_.push_back(path);
  if (!root || root.IsNull()) return;  // an empty file is an empty config, as for kubectl
  if (!root.IsMap())
    throw ConfigError(where + ": must be a YAML map (apiVersion: v1, kind: Config, ...)");
  if (auto kind = StringField(root, "kind", where); kind && !kind->empty() && *kind != "Config") {
    throw ConfigError(where + ": kind: is " + Quote(*kind) + ", want \"Config\"");
  }
  MergeSection(root, path, "clusters", "cluster", clusters_);
  MergeSection(root, path, "users", "user", users_);
  MergeSection(root, path, "contexts", "context", contexts_);
  auto current = StringField(root, "current-context", where);
  if (current_context_.empty() && current && !current->empty()) {
    current_context_ = *current;
    current_context_file_ = path;
  }
}

void Kubeconfig::MergeSection(const YAML::Node& root, const std::string& path, const char* section,
                              const char* body_key, std::map<std::string, Entry>& into) {
  std::string where = "kubeconfig " + path + ": " + section;
  const YAML::Node list = root[section];
  if (!list || list.IsNull()) return;
  if (!list.IsSequence()) throw ConfigError(where + ": must be a list of {name, " + body_key + "}");
  std::set<std::string> seen;
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string item = where + "[" + std::to_string(i) + "]";
    const YAML::Node entry = list[i];
    if (!entry.IsMap()) throw ConfigError(item + ": must be a map with name and " + body_key);
    auto name = StringField(entry, "name", item);
    if (!name || name->empty()) throw ConfigError(item + ": name: must be set");
    item = "kubeconfig " + path + ": " + section + "[" + std::to_string(i) + "] " + Quote(*name);
    if (!seen.insert(*name).second)
      throw ConfigError(item + ": the name is used twice in this file");
    const YAML::Node body = entry[body_key];
    if (!body || !body.IsMap())
      throw ConfigError(item + ": " + body_key + ": must be set to a map");
    into.emplace(*name,
                 Entry{body, path});  // emplace keeps the first definition: earlier files win
  }
}

std::vector<std::string> Kubeconfig::ContextNames() const {
  std::vector<std::string> names;
  for (const auto& [name, entry] : contexts_) names.push_back(name);
  return names;
}

ClusterConfig Kubeconfig::Resolve(const std::string& context_override, time::Clock& clock) const {
  std::string files = JoinFiles(files_);
  std::string context_name = context_override.empty() ? current_context_ : context_override;
  if (context_name.empty()) {
    std::string known;
    for (const auto& name : ContextNames()) known += (known.empty() ? "" : ", ") + name;
    throw ConfigError(
        "kubeconfig " + files + ": current-context is not set and no --context was given" +
        (known.empty() ? " (the file defines no contexts)" : " (contexts: " + known + ")"));
  }
  auto context_it = contexts_.find(context_name);
  if (context_it == contexts_.end()) {
    std::string origin = context_override.empty() ? current_context_file_ : files;
    throw ConfigError(
        "kubeconfig " + origin + ": context " + Quote(context_name) + " not found in contexts" +
        (context_override.empty() ? " (named by current-context)" : " (named by --context)"));
  }
  const Entry& context = context_it->second;
  std::string context_where = "kubeconfig " + context.file + ": context " + Quote(context_name);
  std::string cluster_name = StringField(context.body, "cluster", context_where).value_or("");
  if (cluster_name.empty()) throw ConfigError(context_where + ": cluster: must be set");
  std::string user_name = StringField(context.body, "user", context_where).value_or("");

  auto cluster_it = clusters_.find(cluster_name);
  if (cluster_it == clusters_.end()) {
    throw ConfigError(context_where + ": cluster " + Quote(cluster_name) +
                      " not found in clusters");
  }
  const Entry* user = nullptr;
  if (!user_name.empty()) {
    auto user_it = users_.find(user_name);
    if (user_it == users_.end()) {
      throw ConfigError(context_where + ": user " + Quote(user_name) + " not found in users");
    }
    user = &user_it->second;
  }

  ClusterConfig config;
  config.origin = "kubeconfig " + context.file + " (context " + Quote(context_name) + ")";
  config.default_namespace = StringField(context.body, "namespace", context_where).value_or("");
  if (config.default_namespace.empty()) config.default_namespace = "default";

  // The cluster.
  const Entry& cluster = cluster_it->second;
  std::string cluster_where = "kubeconfig " + cluster.file + ": context " + Quote(context_name) +
                              ": cluster " + Quote(cluster_name);
  config.server = StringField(cluster.body, "server", cluster_where).value_or("");
  if (config.server.empty())
    throw ConfigError(cluster_where + ": server: must be set (e.g. https://host:6443)");
  if (config.server.rfind("https://", 0) != 0 && config.server.rfind("http://", 0) != 0) {
    throw ConfigError(cluster_where + ": server " + Quote(config.server) +
                      ": must be an https:// URL (http:// only for a local insecure port)");
  }
  std::string host_part = config.server.substr(config.server.find("://") + 3);
  if (host_part.empty() || host_part[0] == '/' || host_part[0] == ':') {
    throw ConfigError(cluster_where + ": server " + Quote(config.server) + ": has no host");
  }
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  if (StringField(cluster.body, "proxy-url", cluster_where).value_or("") != "") {
    throw ConfigError(cluster_where +
                      ": proxy-url: not supported by tfws-operator; reach the API server directly");
  }
  config.tls.insecure_skip_verify =
      BoolField(cluster.body, "insecure-skip-tls-verify", cluster_where);
  config.tls.server_name = StringField(cluster.body, "tls-server-name", cluster_where).value_or("");
  config.tls.ca_pem = PemFromFileOrData(cluster.body, cluster.file, cluster_where,
                                        "certificate-authority", "certificate-authority-data");
  if (!config.tls.ca_pem.empty()) {
    if (config.tls.insecure_skip_verify) {
      throw ConfigError(
          cluster_where +
          ": insecure-skip-tls-verify: true is not allowed together with a certificate authority; "
          "remove one of them");
    }
    CheckCertificates(config.tls.ca_pem, cluster_where, "certificate-authority");
  }

  // The user.
  if (user != nullptr) {
    std::string user_where = "kubeconfig " + user->file + ": context " + Quote(context_name) +
                             ": user " + Quote(user_name);
    const YAML::Node& body = user->body;
    if (StringField(body, "username", user_where) || StringField(body, "password", user_where)) {
      throw ConfigError(user_where +
                        ": username/password: basic authentication was removed from the API server "
                        "in 1.19; use a token, a client certificate or an exec plugin");
    }
    if (body["auth-provider"] && !body["auth-provider"].IsNull()) {
      throw ConfigError(
          user_where +
          ": auth-provider: not supported (removed from kubectl in 1.26); use an exec "
          "credential plugin instead");
    }
    if ((body["as"] && !body["as"].IsNull()) ||
        (body["as-groups"] && !body["as-groups"].IsNull())) {
      throw ConfigError(user_where +
                        ": as/as-groups: impersonation is not supported by tfws-operator");
    }
    config.tls.client_cert_pem = PemFromFileOrData(body, user->file, user_where,
                                                   "client-certificate", "client-certificate-data");
    config.tls.client_key_pem =
        PemFromFileOrData(body, user->file, user_where, "client-key", "client-key-data");
    if (config.tls.client_cert_pem.empty() != config.tls.client_key_pem.empty()) {
      throw ConfigError(user_where + ": " +
                        (config.tls.client_cert_pem.empty()
                             ? "client-key is set without client-certificate"
                             : "client-certificate is set without client-key") +
                        "; a client certificate needs both");
    }
    if (!config.tls.client_cert_pem.empty()) {
      CheckCertificates(config.tls.client_cert_pem, user_where, "client-certificate");
      CheckPrivateKey(config.tls.client_key_pem, user_where, "client-key");
    }
    std::string token = StringField(body, "token", user_where).value_or("");
    std::string token_file = StringField(body, "tokenFile", user_where).value_or("");
    const YAML::Node exec = body["exec"];
    if (!token_file.empty()) {
      // Read once now so a wrong path fails at start, not at the first request.
      auto source = std::make_shared<TokenFileCredentials>(ResolvePath(token_file, user->file),
                                                           user_where + ": tokenFile");
      source->Get();
      config.credentials = source;
    } else if (!token.empty()) {
      config.credentials = std::make_shared<StaticTokenCredentials>(token);
    } else if (exec && !exec.IsNull()) {
      ExecConfig exec_config = ParseExec(exec, user->file, user_where + ": exec");
      if (exec_config.provide_cluster_info) {
        nlohmann::json info = {{"server", config.server}};
        if (!config.tls.ca_pem.empty())
          info["certificate-authority-data"] = Base64Encode(config.tls.ca_pem);
        if (config.tls.insecure_skip_verify) info["insecure-skip-tls-verify"] = true;
        if (!config.tls.server_name.empty()) info["tls-server-name"] = config.tls.server_name;
        exec_config.cluster_info = info;
      }
      config.credentials = std::make_shared<ExecCredentials>(std::move(exec_config), clock);
    }
  }
  return config;
}

}  // namespace tfws::kube
