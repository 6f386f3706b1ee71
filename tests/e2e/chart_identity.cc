#include "chart_identity.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>

#include "kube/api_error.h"
#include "testenv_fixture.h"
#include "workspace/manifest.h"

namespace tfws::e2e {

using Json = nlohmann::json;
namespace fs = std::filesystem;
namespace res = kube::resources;

namespace {

const kube::Resource kRoles{"rbac.authorization.k8s.io", "v1", "roles", "Role", true};
const kube::Resource kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true};
const kube::Resource kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false};
const kube::Resource kClusterRoleBindings{"rbac.authorization.k8s.io", "v1", "clusterrolebindings",
                                          "ClusterRoleBinding", false};
const kube::Resource kSubjectAccessReviews{"authorization.k8s.io", "v1", "subjectaccessreviews",
                                          "SubjectAccessReview", false};

// stdout of `command` without the trailing newline; throws with the output when it fails.
std::string Output(const std::string& command) {
  std::string out;
  if (RunCommand(command + " 2>&1", &out) != 0) throw std::runtime_error("failed: " + command + "\n" + out);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string TestenvBin() {
  static const std::string bin = Output(TestenvScript() + " bin");
  return bin;
}

bool BindsServiceAccount(const Json& binding, const std::string& sa, const std::string& ns) {
  for (const Json& s : binding.value("subjects", Json::array())) {
    if (s.value("kind", "") == "ServiceAccount" && s.value("name", "") == sa && s.value("namespace", "") == ns) {
      return true;
    }
  }
  return false;
}

// Waits until the API server's authorizer allows the first rule of `role` to `user` (RBAC reaches
// the authorizer through a watch: an operator started at once could be refused its first list).
void WaitUntilAuthorized(kube::Client& admin, const Json& role, const std::string& role_ns, const std::string& user) {
  const Json rules = role.value("rules", Json::array());
  if (rules.empty()) return;
  const Json& rule = rules[0];
  std::string resource = rule["resources"][0];
  Json attributes = {{"group", rule["apiGroups"][0]}, {"verb", rule["verbs"][0]}};
  if (const auto slash = resource.find('/'); slash != std::string::npos) {
    attributes["subresource"] = resource.substr(slash + 1);
    resource = resource.substr(0, slash);
  }
  attributes["resource"] = resource;
  if (!role_ns.empty()) attributes["namespace"] = role_ns;
  if (rule.contains("resourceNames")) attributes["name"] = rule["resourceNames"][0];
  const Json review = {{"apiVersion", "authorization.k8s.io/v1"},
                       {"kind", "SubjectAccessReview"},
                       {"spec", {{"user", user}, {"resourceAttributes", attributes}}}};
  // Measured: allowed at the first review, 0.0 s (TFWS_E2E_WAIT_LOG=1, 2 runs; RBAC watch latency is
  // milliseconds); 5 s.
  if (!WaitFor([&] { return admin.Create(kSubjectAccessReviews, "", review)["status"].value("allowed", false); },
               std::chrono::seconds(5))) {
    throw std::runtime_error("the API server does not authorize " + user + " for " + attributes.dump() +
                             " 5 s after its " + role.value("kind", "") + " was applied");
  }
}

}  // namespace

std::string ChartIdentity::Username() const { return "system:serviceaccount:" + ns + ":" + service_account; }

ChartIdentity InstallChartIdentity(kube::Client& admin, const std::string& release, const std::string& ns,
                                   const std::vector<std::string>& helm_args) {
  ChartIdentity identity{.release = release, .ns = ns};
  const fs::path rendered = fs::temp_directory_path() / (release + "-" + std::to_string(::getpid()) + ".yaml");
  std::string command = TestenvBin() + "/helm template " + release + " " TFWS_SOURCE_DIR
                        "/charts/tfws-operator --namespace " + ns + " --set fullnameOverride=" + release;
  for (const std::string& a : helm_args) command += " '" + a + "'";
  Output(command + " > " + rendered.string());
  std::vector<Json> docs = workspace::ReadManifestFile(rendered.string());
  fs::remove(rendered);

  Json service_account;
  for (const Json& object : docs) {
    const std::string kind = object.value("kind", "");
    if (kind == "ServiceAccount") {
      service_account = object;
      identity.service_account = object["metadata"]["name"];
    }
    if (kind == "Deployment") identity.deployment = object;
    if (kind == "ConfigMap" && object.value("data", Json::object()).contains("config.yaml")) {
      identity.config_yaml = object["data"]["config.yaml"];
    }
  }
  if (identity.service_account.empty() || identity.config_yaml.empty() || !identity.deployment.is_object()) {
    throw std::runtime_error("helm template rendered no ServiceAccount, ConfigMap config.yaml or Deployment");
  }

  kube::PatchOptions apply;
  apply.field_manager = "tfws-e2e";
  admin.Apply(res::kServiceAccounts, ns, service_account, apply);
  // The roles the ServiceAccount is bound to ("<kind>/<namespace>/<name>"), then the bindings.
  std::set<std::string> bound;
  std::vector<const Json*> bindings;
  for (const Json& object : docs) {
    const std::string kind = object.value("kind", "");
    if ((kind != "RoleBinding" && kind != "ClusterRoleBinding") ||
        !BindsServiceAccount(object, identity.service_account, ns)) {
      continue;
    }
    const std::string role_ns = kind == "RoleBinding" ? object["metadata"].value("namespace", ns) : "";
    bound.insert(object["roleRef"].value("kind", "") + "/" + role_ns + "/" + object["roleRef"].value("name", ""));
    bindings.push_back(&object);
  }
  std::vector<std::pair<Json, std::string>> roles;  // role, its namespace
  for (const Json& object : docs) {
    const std::string kind = object.value("kind", "");
    if (kind != "Role" && kind != "ClusterRole") continue;
    const std::string role_ns = kind == "Role" ? object["metadata"].value("namespace", ns) : "";
    if (!bound.contains(kind + "/" + role_ns + "/" + object["metadata"].value("name", ""))) continue;
    admin.Apply(kind == "Role" ? kRoles : kClusterRoles, role_ns, object, apply);
    if (kind == "ClusterRole") identity.cluster_objects.emplace_back(kClusterRoles, object["metadata"]["name"]);
    roles.emplace_back(object, role_ns);
  }
  for (const Json* binding : bindings) {
    const bool cluster = (*binding)["kind"] == "ClusterRoleBinding";
    admin.Apply(cluster ? kClusterRoleBindings : kRoleBindings,
                cluster ? "" : (*binding)["metadata"].value("namespace", ns), *binding, apply);
    if (cluster) identity.cluster_objects.emplace_back(kClusterRoleBindings, (*binding)["metadata"]["name"]);
  }
  if (roles.empty()) throw std::runtime_error("helm template rendered no role bound to " + identity.Username());
  for (const auto& [role, role_ns] : roles) WaitUntilAuthorized(admin, role, role_ns, identity.Username());
  return identity;
}

void WriteKubeconfig(ChartIdentity& identity) {
  const std::string token = Output(TestenvBin() + "/kubectl --kubeconfig " + KubeconfigPath() + " create token " +
                                   identity.service_account + " -n " + identity.ns + " --duration=2h");
  const kube::ClusterConfig admin = LoadTestenvConfig();
  const fs::path dir = fs::temp_directory_path() / (identity.release + "-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "ca.crt") << admin.tls.ca_pem;
  std::ofstream(dir / "kubeconfig")
      << "apiVersion: v1\nkind: Config\nclusters:\n- name: testenv\n  cluster:\n    server: " << admin.server
      << "\n    certificate-authority: " << (dir / "ca.crt").string() << "\nusers:\n- name: sa\n  user:\n    token: "
      << token << "\ncontexts:\n- name: sa\n  context: {cluster: testenv, user: sa}\ncurrent-context: sa\n";
  identity.kubeconfig = (dir / "kubeconfig").string();
}

void RemoveClusterObjects(kube::Client& admin, const ChartIdentity& identity) {
  for (const auto& [resource, name] : identity.cluster_objects) {
    try {
      admin.Delete(resource, "", name);
    } catch (const kube::ApiError& e) {
      if (!e.IsNotFound()) throw;
    }
  }
}

namespace {

std::mutex process_identity_mu;
std::optional<ChartIdentity> process_identity;  // guarded by process_identity_mu

// Removes the process identity when the test program ends (its namespace in the background).
class ProcessIdentityCleanup : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard lock(process_identity_mu);
    if (!process_identity) return;
    try {
      auto admin = MakeTestenvClient({.user_agent = "tfws-e2e/1"});
      RemoveClusterObjects(*admin, *process_identity);
      admin->Delete(res::kNamespaces, "", process_identity->ns, {.propagation_policy = "Background"});
    } catch (const std::exception& e) {
      ADD_FAILURE() << "removing the operator identity " << process_identity->Username() << ": " << e.what();
    }
    process_identity.reset();
  }
};
[[maybe_unused]] ::testing::Environment* const kCleanup =
    ::testing::AddGlobalTestEnvironment(new ProcessIdentityCleanup);

}  // namespace

const ChartIdentity& ProcessOperatorIdentity() {
  std::lock_guard lock(process_identity_mu);
  if (!process_identity) {
    auto admin = MakeTestenvClient({.user_agent = "tfws-e2e/1"});
    const std::string name = UniqueName("tfws-e2e-operator");
    admin->Create(res::kNamespaces, "",
                  {{"apiVersion", "v1"},
                   {"kind", "Namespace"},
                   {"metadata", {{"name", name}, {"labels", {{"tfws.io/e2e", "true"}}}}}});
    ChartIdentity identity = InstallChartIdentity(*admin, name, name);
    WriteKubeconfig(identity);
    process_identity = std::move(identity);
  }
  return *process_identity;
}

void GrantProcessIdentityLease(const std::string& ns, const std::string& id) {
  const ChartIdentity& identity = ProcessOperatorIdentity();
  auto admin = MakeTestenvClient({.user_agent = "tfws-e2e/1"});
  // The same release re-rendered with the Lease elsewhere: applies (unchanged) the same
  // ServiceAccount and ClusterRole, and the leader-election Role and RoleBinding in `ns`.
  InstallChartIdentity(*admin, identity.release, identity.ns,
                       {"--set", "leaderElection.namespace=" + ns, "--set", "leaderElection.id=" + id});
}

std::vector<std::string> ForbiddenSince(const std::string& username, std::uintmax_t offset) {
  std::ifstream in(AuditLogPath(), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read audit log " + AuditLogPath());
  in.seekg(static_cast<std::streamoff>(offset));
  std::vector<std::string> refused;
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(username) == std::string::npos || line.find("\"forbid\"") == std::string::npos) continue;
    const Json entry = Json::parse(line, nullptr, false);
    if (entry.is_discarded() || entry["user"].value("username", "") != username) continue;
    if (entry.value("annotations", Json::object()).value("authorization.k8s.io/decision", "") != "forbid") continue;
    const Json ref = entry.value("objectRef", Json::object());
    const std::string sub = ref.value("subresource", "");
    refused.push_back(entry.value("verb", "") + " " + ref.value("resource", "") + (sub.empty() ? "" : "/" + sub) +
                      " (" + entry.value("requestURI", "") + ")");
  }
  return refused;
}

}  // namespace tfws::e2e
