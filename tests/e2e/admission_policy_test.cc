// Tenant safety at admission, on the real API server: the ValidatingAdmissionPolicies of
// crds/admission/ refuse, at `kubectl apply`, every attempt of a user who may create TFWorkspaces
// to borrow the operator's rights (mount a Secret or PVC they cannot read, blame someone else as
// owner) or to step outside the workspace's TFWorkspaceClass, with a message naming the field and
// the fix; the same requests pass for the user's own Secret/PVC, for an admin holding set-owner,
// and for a spec inside the class.
//
// Users are real client certificates signed by the testenv CA (CN = username, no groups), so the
// API server authenticates and authorizes them exactly as it would a person; the admin identity of
// the other tests (system:masters) only prepares the namespace, RBAC and classes. Every attempt is
// a dry-run create: admission runs in full, nothing is stored.
//
// The shipped policies are applied as they are; their bindings are applied under e2e names, scoped
// by the label tfws.io/admission-e2e=true: on namespaces (workspace bindings), on classes (the class
// binding's objects) and on the classes a binding takes as params, so that the other suites in the
// same cluster are not held to these classes and these tests see only their own classes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "kube/api_error.h"
#include "operator_process.h"
#include "testenv_fixture.h"
#include "workspace/manifest.h"

namespace tfws::e2e {
namespace {

namespace fs = std::filesystem;
using kube::Json;
using ::testing::HasSubstr;

const kube::Resource kPolicies{"admissionregistration.k8s.io", "v1", "validatingadmissionpolicies",
                               "ValidatingAdmissionPolicy", false};
const kube::Resource kPolicyBindings{"admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings",
                                     "ValidatingAdmissionPolicyBinding", false};
const kube::Resource kMutatingPolicies{"admissionregistration.k8s.io", "v1", "mutatingadmissionpolicies",
                                       "MutatingAdmissionPolicy", false};
const kube::Resource kMutatingPolicyBindings{"admissionregistration.k8s.io", "v1", "mutatingadmissionpolicybindings",
                                             "MutatingAdmissionPolicyBinding", false};
const kube::Resource kRoles{"rbac.authorization.k8s.io", "v1", "roles", "Role", true};
const kube::Resource kRoleBindings{"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true};
const kube::Resource kClusterRoles{"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false};

constexpr const char* kScopeLabel = "tfws.io/admission-e2e";

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

kube::PatchOptions ForceApply() {
  kube::PatchOptions options;
  options.field_manager = "tfws-e2e";
  options.force = true;
  return options;
}

// A client certificate for `user` signed by the testenv CA (openssl, ~50 ms), and a Client using it.
std::shared_ptr<kube::Client> ClientAs(const std::string& user) {
  const std::string dir = TestenvFile("e2e-users");
  fs::create_directories(dir);
  const std::string base = dir + "/" + user;
  if (!fs::exists(base + ".crt")) {
    const std::string ca = TestenvFile("certs/ca");
    const std::string command = "openssl req -new -newkey rsa:2048 -nodes -subj /CN=" + user + " -keyout " + base +
                                ".key -out " + base + ".csr 2>/dev/null && openssl x509 -req -in " + base +
                                ".csr -CA " + ca + ".crt -CAkey " + ca + ".key -CAcreateserial -days 1 -out " + base +
                                ".crt 2>/dev/null";
    if (RunCommand(command) != 0) throw std::runtime_error("openssl could not issue a certificate for " + user);
  }
  kube::ClusterConfig config = LoadTestenvConfig();
  config.credentials = std::make_shared<kube::NoCredentials>();
  config.tls.client_cert_pem = ReadText(base + ".crt");
  config.tls.client_key_pem = ReadText(base + ".key");
  config.origin = "e2e user " + user;
  return kube::MakeClient(config, {.user_agent = "tfws-e2e-user/1"});
}

// The messages of a refusal: the Status message plus every cause.
std::string AllMessages(const kube::ApiError& e) {
  std::string text = e.message();
  for (const auto& cause : e.causes()) text += "\n" + cause.field + ": " + cause.message;
  return text;
}

// A shipped binding under an e2e name that acts only on labelled namespaces (a policy for
// workspaces) or labelled classes (a policy for classes: a namespaceSelector never skips a
// cluster-scoped object) and takes only labelled classes as params (see the header comment).
Json ScopedToThisSuite(Json binding, bool policy_matches_classes) {
  const Json scope = {{"matchLabels", {{kScopeLabel, "true"}}}};
  binding["metadata"]["name"] = binding["metadata"]["name"].get<std::string>() + "-e2e";
  binding["spec"]["matchResources"][policy_matches_classes ? "objectSelector" : "namespaceSelector"] = scope;
  if (binding["spec"].contains("paramRef")) binding["spec"]["paramRef"]["selector"] = scope;
  return binding;
}

// A TFWorkspaceClass object in this suite's scope.
Json ClassObject(const std::string& name, const Json& spec, bool is_default = false) {
  Json object = {{"apiVersion", "tfws.io/v1alpha1"},
                 {"kind", "TFWorkspaceClass"},
                 {"metadata", {{"name", name}, {"labels", {{kScopeLabel, "true"}}}}},
                 {"spec", spec}};
  if (is_default) object["metadata"]["annotations"] = {{"tfws.io/is-default-class", "true"}};
  return object;
}

// Installs the shipped policy objects once per process (see the header comment) and two classes:
// `strict` (what a shared cluster allows) and `open-ssh` (SSH allowed, no limits).
struct Installed {
  std::string strict_class;
  std::string ssh_class;
};

const Installed& InstallPolicyAndClasses(kube::Client& admin) {
  static std::mutex mu;
  static std::optional<Installed> installed;
  std::lock_guard lock(mu);
  if (installed) return *installed;
  InstallWorkspaceCrd(admin);
  const fs::path dir = fs::path(TFWS_SOURCE_DIR) / "crds/admission";
  std::map<std::string, bool> policy_matches_classes;  // each file holds a policy before its binding
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    for (Json object : workspace::ReadManifestFile(entry.path().string())) {
      const std::string kind = object["kind"];
      if (kind == "ValidatingAdmissionPolicy" || kind == "MutatingAdmissionPolicy") {
        policy_matches_classes[object["metadata"]["name"]] =
            object["spec"]["matchConstraints"].dump().find("tfworkspaceclasses") != std::string::npos;
        admin.Apply(kind == "ValidatingAdmissionPolicy" ? kPolicies : kMutatingPolicies, "", object, ForceApply());
      } else if (kind == "ValidatingAdmissionPolicyBinding" || kind == "MutatingAdmissionPolicyBinding") {
        const bool for_classes = policy_matches_classes.at(object["spec"]["policyName"]);
        admin.Apply(kind == "ValidatingAdmissionPolicyBinding" ? kPolicyBindings : kMutatingPolicyBindings, "",
                    ScopedToThisSuite(std::move(object), for_classes), ForceApply());
      } else if (kind == "ClusterRole") {
        admin.Apply(kClusterRoles, "", object, ForceApply());
      } else {
        throw std::runtime_error(entry.path().string() + ": unexpected kind " + kind);
      }
    }
  }
  // Fixed names, applied again by every test process (ctest runs one test per process), so that no
  // run leaves classes behind.
  Installed names{"e2e-admission-strict", "e2e-admission-ssh"};
  const Json strict = Json::parse(R"({
    "apiVersion": "tfws.io/v1alpha1", "kind": "TFWorkspaceClass",
    "spec": {
      "images": {"default": "tensorflow/tensorflow:2.9.0-gpu-jupyter", "allowedPrefixes": ["tensorflow/tensorflow:"]},
      "gpu": {"maxCount": 2, "allowedResources": ["nvidia.com/gpu"]},
      "resources": {"defaultRequests": {"cpu": "1", "memory": "2Gi"}, "defaultLimits": {"cpu": "2", "memory": "4Gi"},
                    "max": {"cpu": "8", "memory": "32Gi"}, "maxShmSize": "4Gi", "scratchSizeLimit": "5Gi"},
      "storage": {"allowedStorageClasses": ["standard"], "maxSize": "50Gi"},
      "allowedProfiles": ["development", "hardened"],
      "ssh": {"allowed": false},
      "ingress": {"className": "nginx", "hostTemplate": "{name}-{namespace}.ml.example.com",
                  "tlsSecretName": "wildcard-tls", "allowedAnnotationKeys": ["nginx.ingress.kubernetes.io/proxy-body-size"]},
      "scheduling": {"allowedTolerationKeys": ["team-pool"], "allowedNodeSelectorKeys": ["topology.kubernetes.io/zone"],
                     "allowedPriorityClasses": ["workspace-normal"]},
      "culling": {"defaultIdleTimeoutMinutes": 60, "maxIdleTimeoutMinutes": 480}
    }})");
  admin.Apply(kube::resources::kTFWorkspaceClasses, "", ClassObject(names.strict_class, strict["spec"]), ForceApply());
  admin.Apply(kube::resources::kTFWorkspaceClasses, "", ClassObject(names.ssh_class, {{"ssh", {{"allowed", true}}}}),
              ForceApply());
  installed = names;
  return *installed;
}

class AdmissionPolicy : public TestenvTest {
 protected:
  void SetUp() override {
    TestenvTest::SetUp();
    ASSERT_NO_THROW(classes_ = InstallPolicyAndClasses(client()));
    // The test's namespace, inside the e2e bindings' scope.
    client().Patch(kube::resources::kNamespaces, "", ns(), kube::PatchType::kMerge,
                   {{"metadata", {{"labels", {{kScopeLabel, "true"}}}}}});
    // alice may work with TFWorkspaces and read her own Secret and claim, nothing else.
    Grant("alice", "workspace-author",
          Json::array({{{"apiGroups", {"tfws.io"}},
                        {"resources", {"tfworkspaces"}},
                        {"verbs", {"get", "list", "watch", "create", "update", "patch", "delete"}}},
                       {{"apiGroups", {""}},
                        {"resources", {"secrets"}},
                        {"resourceNames", {"alice-keys"}},
                        {"verbs", {"get"}}},
                       {{"apiGroups", {""}},
                        {"resources", {"persistentvolumeclaims"}},
                        {"resourceNames", {"alice-data"}},
                        {"verbs", {"get"}}}}));
    // pat, a platform admin: the same, reading every Secret and claim, plus the shipped set-owner role.
    Grant("pat", "workspace-admin",
          Json::array({{{"apiGroups", {"tfws.io"}},
                        {"resources", {"tfworkspaces"}},
                        {"verbs", {"get", "list", "watch", "create", "update", "patch", "delete"}}},
                       {{"apiGroups", {""}}, {"resources", {"secrets", "persistentvolumeclaims"}}, {"verbs", {"get"}}}}));
    client().Create(kRoleBindings, ns(),
                    {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                     {"kind", "RoleBinding"},
                     {"metadata", {{"name", "pat-set-owner"}}},
                     {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", "tfws-workspace-admin"}}},
                     {"subjects", Json::array({{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", "pat"}}})}});
    alice_ = ClientAs("alice");
    pat_ = ClientAs("pat");
    // Both policies are enforcing for this namespace and class: a request each must refuse is refused.
    // (Policies, bindings and param informers become ready asynchronously. Measured: 0.0-2.1 s for
    // the first refusal, 0.0-0.1 s for the others (TFWS_E2E_WAIT_LOG=1, 2 runs; the first test of the
    // suite waits longest); kubectl once saw 3-5 s for a re-created binding, so 10 s, not 5.)
    Json probe_owner = Workspace("probe", {{"className", classes_.strict_class}, {"owner", "mallory"}});
    Json probe_class = Workspace("probe", {{"className", classes_.strict_class}, {"owner", "alice"}, {"gpu", {{"count", 9}}}});
    ASSERT_TRUE(WaitFor([&] { return RefusalOf(*alice_, probe_owner).find("spec.owner") != std::string::npos; },
                        std::chrono::seconds(10)))
        << "the rights policy does not refuse a foreign owner: " << RefusalOf(*alice_, probe_owner);
    ASSERT_TRUE(WaitFor([&] { return RefusalOf(*alice_, probe_class).find("spec.gpu.count") != std::string::npos; },
                        std::chrono::seconds(10)))
        << "the class policy does not refuse 9 GPUs: " << RefusalOf(*alice_, probe_class);
    // ... and the class-reference pair knows the class (else it would refuse every spec as naming none).
    Json probe_fits = Workspace("probe", Json::object());
    ASSERT_TRUE(WaitFor([&] { return RefusalOf(*alice_, probe_fits).empty(); }, std::chrono::seconds(10)))
        << "a spec inside the class is refused: " << RefusalOf(*alice_, probe_fits);
  }

  void Grant(const std::string& user, const std::string& role, const Json& rules) {
    client().Create(kRoles, ns(),
                    {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                     {"kind", "Role"},
                     {"metadata", {{"name", role}}},
                     {"rules", rules}});
    client().Create(kRoleBindings, ns(),
                    {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                     {"kind", "RoleBinding"},
                     {"metadata", {{"name", role}}},
                     {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Role"}, {"name", role}}},
                     {"subjects", Json::array({{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", user}}})}});
  }

  // A TFWorkspace named `name` with `spec` merged over a spec inside the strict class.
  Json Workspace(const std::string& name, const Json& spec) {
    Json base = {{"className", classes_.strict_class}, {"owner", "alice"}, {"gpu", {{"count", 1}}}};
    base.merge_patch(spec);
    return {{"apiVersion", "tfws.io/v1alpha1"},
            {"kind", "TFWorkspace"},
            {"metadata", {{"name", name}, {"namespace", ns()}}},
            {"spec", base}};
  }

  // "" when `as` may create `object` (dry run), else the refusal's messages.
  std::string RefusalOf(kube::Client& as, const Json& object) {
    kube::WriteOptions options;
    options.dry_run = true;
    try {
      as.Create(kube::resources::kTFWorkspaces, ns(), object, options);
      return "";
    } catch (const kube::ApiError& e) {
      return "HTTP " + std::to_string(e.code()) + ": " + AllMessages(e);
    }
  }

  void ExpectRefused(kube::Client& as, const Json& spec, const std::string& field) {
    const std::string refusal = RefusalOf(as, Workspace("attempt", spec));
    EXPECT_THAT(refusal, HasSubstr(field + ":")) << "spec " << spec.dump();
    EXPECT_THAT(refusal, HasSubstr("denied request")) << "refused by admission policy, not by RBAC or the schema";
  }

  Installed classes_;
  std::shared_ptr<kube::Client> alice_;
  std::shared_ptr<kube::Client> pat_;
};

TEST_F(AdmissionPolicy, AUserCannotMountASecretOrClaimTheyCannotRead) {
  ExpectRefused(*alice_, {{"jupyter", {{"tokenSecretRef", {{"name", "bob-token"}}}}}}, "spec.jupyter.tokenSecretRef.name");
  ExpectRefused(*alice_,
                {{"className", classes_.ssh_class},
                 {"image", "tfws/tf29-workspace:0.1.0"},
                 {"ssh", {{"enabled", true}, {"authorizedKeysSecretRef", {{"name", "bob-keys"}}}}}},
                "spec.ssh.authorizedKeysSecretRef.name");
  ExpectRefused(*alice_, {{"storage", {{"workspace", {{"existingClaim", "bob-home"}}}}}},
                "spec.storage.workspace.existingClaim");
  ExpectRefused(*alice_,
                {{"storage", {{"datasets", Json::array({{{"name", "mine"}, {"claimName", "alice-data"}},
                                                        {{"name", "theirs"}, {"claimName", "payroll"}}})}}}},
                "spec.storage.datasets[].claimName");
  EXPECT_THAT(RefusalOf(*alice_, Workspace("attempt", {{"storage", {{"datasets", Json::array({{{"name", "theirs"},
                                                                                                  {"claimName", "payroll"}}})}}}})),
              HasSubstr("payroll"))
      << "the message names the claim";
}

TEST_F(AdmissionPolicy, AUserCannotNameSomeoneElseAsOwner) {
  ExpectRefused(*alice_, {{"owner", "bob"}}, "spec.owner");
  Json labelled = Workspace("attempt", {{"owner", nullptr}});
  labelled["metadata"]["labels"] = {{"tfws.io/owner", "bob"}};
  EXPECT_THAT(RefusalOf(*alice_, labelled), HasSubstr("spec.owner:")) << "the tfws.io/owner label is the owner too";
}

TEST_F(AdmissionPolicy, AUserCannotChooseIngressHostClassTlsOrAnnotations) {
  ExpectRefused(*alice_, {{"ingress", {{"enabled", true}, {"host", "login.example.com"}}}}, "spec.ingress.host");
  ExpectRefused(*alice_,
                {{"ingress", {{"enabled", true},
                              {"annotations", {{"nginx.ingress.kubernetes.io/configuration-snippet", "return 200;"}}}}}},
                "spec.ingress.annotations");
  ExpectRefused(*alice_, {{"ingress", {{"enabled", true}, {"className", "public"}}}}, "spec.ingress.className");
  ExpectRefused(*alice_, {{"ingress", {{"enabled", true}, {"tlsSecretName", "bank-tls"}}}}, "spec.ingress.tlsSecretName");
}

TEST_F(AdmissionPolicy, AUserCannotOpenJupyterWithoutAuthenticationByClaimingAProxy) {
  // The CRD lets auth none through only with authProxy: true; the class has no auth proxy.
  ExpectRefused(*alice_, {{"jupyter", {{"auth", "none"}}}, {"ingress", {{"enabled", true}, {"authProxy", true}}}},
                "spec.jupyter.auth");
  ExpectRefused(*alice_, {{"ingress", {{"enabled", true}, {"authProxy", true}}}}, "spec.ingress.authProxy");
}

TEST_F(AdmissionPolicy, AUserCannotStepOutsideTheClassLimits) {
  ExpectRefused(*alice_, {{"image", "docker.io/attacker/miner:latest"}}, "spec.image");
  ExpectRefused(*alice_, {{"gpu", {{"count", 3}}}}, "spec.gpu.count");
  ExpectRefused(*alice_, {{"gpu", {{"resource", "nvidia.com/gpu.shared"}}}}, "spec.gpu.resource");
  ExpectRefused(*alice_, {{"resources", {{"limits", {{"cpu", "64"}}}}}}, "spec.resources.limits.cpu");
  ExpectRefused(*alice_, {{"resources", {{"requests", {{"memory", "64Gi"}}}}}}, "spec.resources.requests.memory");
  ExpectRefused(*alice_, {{"shmSize", "16Gi"}}, "spec.shmSize");
  ExpectRefused(*alice_, {{"storage", {{"workspace", {{"size", "1Ti"}}}}}}, "spec.storage.workspace.size");
  ExpectRefused(*alice_, {{"storage", {{"workspace", {{"storageClassName", "premium-ssd"}}}}}},
                "spec.storage.workspace.storageClassName");
  ExpectRefused(*alice_,
                {{"ssh", {{"enabled", true},
                          {"authorizedKeys", {"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIES4Hj9D50K9uZJNC/f/+hgoMVGKob3LjjDHNMOcMVD4 a@b"}}}}},
                "spec.ssh.enabled");
  ExpectRefused(*alice_, {{"tolerations", Json::array({{{"operator", "Exists"}}})}}, "spec.tolerations");
  ExpectRefused(*alice_, {{"nodeSelector", {{"kubernetes.io/hostname", "gpu-node-7"}}}}, "spec.nodeSelector");
  ExpectRefused(*alice_, {{"priorityClassName", "system-node-critical"}}, "spec.priorityClassName");
  ExpectRefused(*alice_, {{"culling", {{"idleTimeoutMinutes", 0}}}}, "spec.culling.idleTimeoutMinutes");
}

TEST_F(AdmissionPolicy, TheMessageNamesTheClassAndTheLimit) {
  const std::string refusal = RefusalOf(*alice_, Workspace("attempt", {{"gpu", {{"count", 3}}}}));
  EXPECT_THAT(refusal, HasSubstr("TFWorkspaceClass " + classes_.strict_class));
  EXPECT_THAT(refusal, HasSubstr("request at most 2"));
}

TEST_F(AdmissionPolicy, TheSameRequestsPassForTheUsersOwnSecretAndClaim) {
  EXPECT_EQ(RefusalOf(*alice_, Workspace("own", {{"jupyter", {{"tokenSecretRef", {{"name", "alice-keys"}}}}},
                                                  {"storage", {{"workspace", {{"existingClaim", "alice-data"}}},
                                                               {"datasets", Json::array({{{"name", "d"}, {"claimName", "alice-data"}}})}}}})),
            "");
  EXPECT_EQ(RefusalOf(*alice_, Workspace("own-ssh", {{"className", classes_.ssh_class},
                                                      {"image", "tfws/tf29-workspace:0.1.0"},
                                                      {"ssh", {{"enabled", true}, {"authorizedKeysSecretRef", {{"name", "alice-keys"}}}}}})),
            "");
}

TEST_F(AdmissionPolicy, AnAdminWithSetOwnerMayActForOthers) {
  EXPECT_EQ(RefusalOf(*pat_, Workspace("for-bob", {{"owner", "bob"}, {"jupyter", {{"tokenSecretRef", {{"name", "bob-token"}}}}}})),
            "");
  // set-owner does not lift the class: an admin's spec still has to fit it.
  EXPECT_THAT(RefusalOf(*pat_, Workspace("too-big", {{"owner", "bob"}, {"gpu", {{"count", 3}}}})), HasSubstr("spec.gpu.count:"));
}

TEST_F(AdmissionPolicy, ASpecInsideTheClassPasses) {
  EXPECT_EQ(RefusalOf(*alice_, Workspace("fits", {{"image", "tensorflow/tensorflow:2.9.0-gpu-jupyter"},
                                                   {"gpu", {{"count", 2}}},
                                                   {"resources", {{"requests", {{"cpu", "2"}, {"memory", "8Gi"}}},
                                                                  {"limits", {{"cpu", 8}, {"memory", "32Gi"}}}}},
                                                   {"shmSize", "4Gi"},
                                                   {"storage", {{"workspace", {{"size", "50Gi"}, {"storageClassName", "standard"}}}}},
                                                   {"ingress", {{"enabled", true},
                                                                {"host", "fits-" + ns() + ".ml.example.com"},
                                                                {"annotations", {{"nginx.ingress.kubernetes.io/proxy-body-size", "1g"}}}}},
                                                   {"tolerations", Json::array({{{"key", "team-pool"}, {"operator", "Exists"}}})},
                                                   {"nodeSelector", {{"topology.kubernetes.io/zone", "a"}}},
                                                   {"priorityClassName", "workspace-normal"},
                                                   {"culling", {{"idleTimeoutMinutes", 480}}}})),
            "");
  EXPECT_EQ(RefusalOf(*alice_, Workspace("no-owner", {{"owner", nullptr}})), "") << "an empty owner blames nobody";
}

TEST_F(AdmissionPolicy, AClassNameThatDoesNotExistIsRefused) {
  ExpectRefused(*alice_, {{"className", "e2e-no-such-class"}}, "spec.className");
  EXPECT_THAT(RefusalOf(*alice_, Workspace("attempt", {{"className", "e2e-no-such-class"}})),
              HasSubstr("TFWorkspaceClass \"e2e-no-such-class\" does not exist; set spec.className to a class listed by "
                        "`kubectl get tfwsclass`"));
}

TEST_F(AdmissionPolicy, WithoutADefaultClassAWorkspaceWithoutClassNameIsRefused) {
  // None of this suite's classes is the default (DefaultClassIsWrittenIntoNewWorkspaces removes its
  // own; a deleted param reaches the policies' informers: measured 0.0 s (TFWS_E2E_WAIT_LOG=1, 2 runs);
  // 5 s for a loaded machine).
  const Json attempt = Workspace("attempt", {{"className", nullptr}});
  EXPECT_TRUE(WaitFor([&] { return RefusalOf(*alice_, attempt).find("spec.className:") != std::string::npos; },
                      std::chrono::seconds(5)))
      << RefusalOf(*alice_, attempt);
  EXPECT_THAT(RefusalOf(*alice_, attempt),
              HasSubstr("spec.className: empty, and no TFWorkspaceClass is annotated tfws.io/is-default-class: \"true\""));
}

TEST_F(AdmissionPolicy, DefaultClassIsWrittenIntoNewWorkspaces) {
  const std::string name = UniqueName("e2e-default");
  const Json created = client().Create(kube::resources::kTFWorkspaceClasses, "",
                                       ClassObject(name, {{"gpu", {{"maxCount", 1}}}}, /*is_default=*/true));
  struct RemoveClass {
    kube::Client& admin;
    std::string name;
    ~RemoveClass() {
      try {
        admin.Delete(kube::resources::kTFWorkspaceClasses, "", name);
      } catch (const std::exception&) {
      }
    }
  } remove{client(), name};
  // What the API server stores for a workspace without className (dry run; null when refused).
  kube::WriteOptions dry_run;
  dry_run.dry_run = true;
  const auto admitted = [&](const Json& spec) -> Json {
    try {
      return alice_->Create(kube::resources::kTFWorkspaces, ns(), Workspace("defaulted", spec), dry_run);
    } catch (const kube::ApiError&) {
      return nullptr;
    }
  };
  Json stored;
  // A new param reaches the policies' informers: measured 0.0 s (TFWS_E2E_WAIT_LOG=1, 2 runs); 5 s for a
  // loaded machine.
  ASSERT_TRUE(WaitFor(
      [&] {
        stored = admitted({{"className", nullptr}});
        return stored.is_object();
      },
      std::chrono::seconds(5)))
      << RefusalOf(*alice_, Workspace("defaulted", {{"className", nullptr}}));
  EXPECT_EQ(stored["spec"].value("className", ""), name) << "the default class is written into spec.className";
  EXPECT_EQ(stored["metadata"]["annotations"].value("tfws.io/class-uid", ""), created["metadata"]["uid"]);
  // The default class's limits hold for such a workspace, and the message names that class.
  EXPECT_THAT(RefusalOf(*alice_, Workspace("too-big", {{"className", nullptr}, {"gpu", {{"count", 2}}}})),
              HasSubstr("spec.gpu.count: 2 is more than the 1 GPUs TFWorkspaceClass " + name));
  // A named class is kept, and the annotation records that class, whatever the author wrote there.
  Json forged = Workspace("named", Json::object());
  forged["metadata"]["annotations"] = {{"tfws.io/class-uid", "forged"}};
  const Json named = alice_->Create(kube::resources::kTFWorkspaces, ns(), forged, dry_run);
  EXPECT_EQ(named["spec"].value("className", ""), classes_.strict_class);
  EXPECT_NE(named["metadata"]["annotations"].value("tfws.io/class-uid", ""), "forged");
  // A second default class is refused while this one is the default.
  try {
    client().Create(kube::resources::kTFWorkspaceClasses, "", ClassObject(UniqueName("e2e-default2"), Json::object(), true),
                    dry_run);
    ADD_FAILURE() << "a second default class was admitted";
  } catch (const kube::ApiError& e) {
    EXPECT_THAT(AllMessages(e), HasSubstr("metadata.annotations[tfws.io/is-default-class]: TFWorkspaceClass " + name +
                                          " is already the default"));
  }
}

TEST_F(AdmissionPolicy, ClassNameIsImmutable) {
  Json created = client().Create(kube::resources::kTFWorkspaces, ns(), Workspace("fixed", Json::object()));
  created["spec"]["className"] = classes_.ssh_class;
  try {
    client().Update(kube::resources::kTFWorkspaces, ns(), created);
    FAIL() << "spec.className changed";
  } catch (const kube::ApiError& e) {
    EXPECT_TRUE(e.IsInvalid()) << e.what();
    EXPECT_THAT(AllMessages(e), HasSubstr("immutable"));
  }
}

}  // namespace
}  // namespace tfws::e2e
