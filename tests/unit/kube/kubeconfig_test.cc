#include "kube/kubeconfig.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/api_error.h"
#include "kube/base64.h"
#include "kube/token_file_credentials.h"
#include "kubeconfig_test_util.h"

namespace tfws::kube {
namespace {

using ::testing::HasSubstr;
using testing::ReadText;
using testing::TempDir;
using testing::TestData;

// A complete, valid kubeconfig: cluster c1, user bob (client certificate), context dev.
std::string ValidConfig() {
  return "apiVersion: v1\nkind: Config\ncurrent-context: dev\n"
         "clusters:\n- name: c1\n  cluster:\n    server: https://127.0.0.1:6443/\n"
         "    certificate-authority-data: " +
         Base64Encode(ReadText(TestData("ca.crt"))) +
         "\n"
         "users:\n- name: bob\n  user:\n"
         "    client-certificate-data: " +
         Base64Encode(ReadText(TestData("client.crt"))) +
         "\n"
         "    client-key-data: " +
         Base64Encode(ReadText(TestData("client.key"))) +
         "\n"
         "contexts:\n- name: dev\n  context:\n    cluster: c1\n    user: bob\n    namespace: "
         "team-a\n";
}

std::string ErrorOf(const std::string& yaml, const std::string& context = {},
                    std::string* path_out = nullptr) {
  TempDir dir;
  std::string path = dir.Write("config", yaml);
  if (path_out) *path_out = path;
  try {
    Kubeconfig::LoadFiles({path}).Resolve(context);
  } catch (const ConfigError& e) {
    std::string message = e.what();
    // Messages name the file; make them comparable across temp folders.
    for (std::size_t at; (at = message.find(path)) != std::string::npos;)
      message.replace(at, path.size(), "P");
    return message;
  }
  return "<no error>";
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(Kubeconfig, ResolvesServerTlsUserAndNamespaceOfTheCurrentContext) {
  ClusterConfig config = Kubeconfig::Parse(ValidConfig(), "/x/config").Resolve();
  EXPECT_EQ(config.server, "https://127.0.0.1:6443");
  EXPECT_EQ(config.tls.ca_pem, ReadText(TestData("ca.crt")));
  EXPECT_EQ(config.tls.client_cert_pem, ReadText(TestData("client.crt")));
  EXPECT_EQ(config.tls.client_key_pem, ReadText(TestData("client.key")));
  EXPECT_FALSE(config.tls.insecure_skip_verify);
  EXPECT_EQ(config.default_namespace, "team-a");
  EXPECT_EQ(config.origin, "kubeconfig /x/config (context \"dev\")");
  EXPECT_EQ(config.credentials->Get().bearer_token, "");
}

TEST(Kubeconfig, ContextFlagOverridesCurrentContext) {
  std::string yaml = ValidConfig() + "- name: ops\n  context:\n    cluster: c1\n";
  ClusterConfig config = Kubeconfig::Parse(yaml, "/x/config").Resolve("ops");
  EXPECT_EQ(config.default_namespace, "default");
  EXPECT_EQ(config.tls.client_cert_pem, "");  // no user: anonymous
}

TEST(Kubeconfig, ReadsTokenTlsServerNameAndInsecureFlag) {
  std::string yaml =
      "current-context: dev\nclusters:\n- name: c1\n  cluster:\n    server: https://10.0.0.1\n"
      "    insecure-skip-tls-verify: true\n    tls-server-name: kubernetes.default\n"
      "users:\n- name: bob\n  user:\n    token: abc123\n"
      "contexts:\n- name: dev\n  context:\n    cluster: c1\n    user: bob\n";
  ClusterConfig config = Kubeconfig::Parse(yaml, "/x/config").Resolve();
  EXPECT_TRUE(config.tls.insecure_skip_verify);
  EXPECT_EQ(config.tls.server_name, "kubernetes.default");
  EXPECT_EQ(config.credentials->Get().bearer_token, "abc123");
}

TEST(Kubeconfig, ResolvesRelativeFilePathsAgainstTheKubeconfigFolder) {
  TempDir dir;
  dir.Write("certs/ca.crt", ReadText(TestData("ca.crt")));
  dir.Write("certs/client.crt", ReadText(TestData("client.crt")));
  dir.Write("certs/client.key", ReadText(TestData("client.key")));
  dir.Write("token", "file-token\n");
  std::string path =
      dir.Write("kube/config",
                "current-context: dev\nclusters:\n- name: c1\n  cluster:\n    server: https://h:1\n"
                "    certificate-authority: ../certs/ca.crt\n"
                "users:\n- name: bob\n  user:\n    client-certificate: ../certs/client.crt\n"
                "    client-key: ../certs/client.key\n    tokenFile: ../token\n"
                "contexts:\n- name: dev\n  context: {cluster: c1, user: bob}\n");
  ClusterConfig config = Kubeconfig::LoadFiles({path}).Resolve();
  EXPECT_EQ(config.tls.ca_pem, ReadText(TestData("ca.crt")));
  EXPECT_EQ(config.tls.client_key_pem, ReadText(TestData("client.key")));
  EXPECT_EQ(config.credentials->Get().bearer_token, "file-token");
}

TEST(Kubeconfig, MergesFilesLikeKubectlFirstDefinitionWins) {
  TempDir dir;
  std::string first =
      dir.Write("a",
                "clusters:\n- name: c1\n  cluster: {server: https://first:1}\n"
                "contexts:\n- name: dev\n  context: {cluster: c1, namespace: from-a}\n");
  std::string second =
      dir.Write("b",
                "current-context: dev\n"
                "clusters:\n- name: c1\n  cluster: {server: https://second:1}\n"
                "- name: c2\n  cluster: {server: https://c2:1}\n"
                "contexts:\n- name: dev\n  context: {cluster: c2, namespace: from-b}\n"
                "- name: other\n  context: {cluster: c2}\n");
  std::string third = dir.Write("c", "current-context: other\n");
  Kubeconfig merged = Kubeconfig::LoadFiles({first, second, third});
  EXPECT_EQ(merged.current_context(), "dev");  // from the first file that sets it
  ClusterConfig config = merged.Resolve();
  EXPECT_EQ(config.server, "https://first:1");  // c1 and dev from the first file
  EXPECT_EQ(config.default_namespace, "from-a");
  EXPECT_EQ(merged.Resolve("other").server, "https://c2:1");  // only in the second
  EXPECT_THAT(merged.ContextNames(), ::testing::ElementsAre("dev", "other"));
}

TEST(Kubeconfig, SkipsMissingFilesOfAListOnlyWhenAsked) {
  TempDir dir;
  std::string real = dir.Write("real", ValidConfig());
  EXPECT_EQ(Kubeconfig::LoadFiles({dir.path() + "/missing", real}, true).Resolve().server,
            "https://127.0.0.1:6443");
  try {
    Kubeconfig::LoadFiles({dir.path() + "/missing"});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "kubeconfig " + dir.path() + "/missing: cannot be read: No such file or directory");
  }
}

TEST(Kubeconfig, TokenFileIsReReadWhenItChanges) {
  TempDir dir;
  std::string token = dir.Write("token", "one\n");
  TokenFileCredentials source(token, "test");
  EXPECT_EQ(source.Get().bearer_token, "one");
  dir.Write("token.new", "two-rotated\n");
  std::filesystem::rename(dir.path() + "/token.new", token);  // like the kubelet's atomic swap
  EXPECT_EQ(source.Get().bearer_token, "two-rotated");
}

// ---- Broken files: each names the file, the context and the field. ----

TEST(BrokenKubeconfig, InvalidYamlNamesTheLine) {
  EXPECT_THAT(ErrorOf("clusters:\n- name: [c1\n"),
              HasSubstr("kubeconfig P: not valid YAML: line "));
}

TEST(BrokenKubeconfig, TopLevelNotAMap) {
  EXPECT_EQ(ErrorOf("- a\n- b\n"),
            "kubeconfig P: must be a YAML map (apiVersion: v1, kind: Config, ...)");
}

TEST(BrokenKubeconfig, WrongKind) {
  EXPECT_EQ(ErrorOf("kind: Pod\n"), "kubeconfig P: kind: is \"Pod\", want \"Config\"");
}

TEST(BrokenKubeconfig, NoCurrentContextAndNoFlag) {
  EXPECT_EQ(ErrorOf(Replace(ValidConfig(), "current-context: dev\n", "")),
            "kubeconfig P: current-context is not set and no --context was given (contexts: dev)");
}

TEST(BrokenKubeconfig, CurrentContextNotDefined) {
  EXPECT_EQ(ErrorOf(Replace(ValidConfig(), "current-context: dev", "current-context: prod")),
            "kubeconfig P: context \"prod\" not found in contexts (named by current-context)");
}

TEST(BrokenKubeconfig, ContextFlagNotDefined) {
  EXPECT_EQ(ErrorOf(ValidConfig(), "nope"),
            "kubeconfig P: context \"nope\" not found in contexts (named by --context)");
}

TEST(BrokenKubeconfig, UserNotDefined) {
  EXPECT_EQ(ErrorOf(Replace(ValidConfig(), "    user: bob", "    user: alice")),
            "kubeconfig P: context \"dev\": user \"alice\" not found in users");
}

TEST(BrokenKubeconfig, ClusterNotDefined) {
  EXPECT_EQ(ErrorOf(Replace(ValidConfig(), "    cluster: c1", "    cluster: c9")),
            "kubeconfig P: context \"dev\": cluster \"c9\" not found in clusters");
}

TEST(BrokenKubeconfig, ContextWithoutCluster) {
  EXPECT_EQ(ErrorOf(Replace(ValidConfig(), "    cluster: c1\n", "")),
            "kubeconfig P: context \"dev\": cluster: must be set");
}

TEST(BrokenKubeconfig, ClusterWithoutServer) {
  EXPECT_EQ(ErrorOf(Replace(ValidConfig(), "server: https://127.0.0.1:6443/", "proxy: x")),
            "kubeconfig P: context \"dev\": cluster \"c1\": server: must be set (e.g. "
            "https://host:6443)");
}

TEST(BrokenKubeconfig, ServerWithoutScheme) {
  EXPECT_EQ(ErrorOf(Replace(ValidConfig(), "https://127.0.0.1:6443/", "127.0.0.1:6443")),
            "kubeconfig P: context \"dev\": cluster \"c1\": server \"127.0.0.1:6443\": must be an "
            "https:// URL "
            "(http:// only for a local insecure port)");
}

TEST(BrokenKubeconfig, CertificateAuthorityDataNotBase64) {
  std::string yaml = ValidConfig();
  auto at = yaml.find("certificate-authority-data: ") + 28;
  yaml.replace(at, yaml.find('\n', at) - at, "not*base64");
  EXPECT_THAT(
      ErrorOf(yaml),
      HasSubstr("kubeconfig P: context \"dev\": cluster \"c1\": certificate-authority-data: "
                "not valid base64"));
}

TEST(BrokenKubeconfig, CertificateAuthorityDataNotACertificate) {
  std::string yaml = ValidConfig();
  auto at = yaml.find("certificate-authority-data: ") + 28;
  yaml.replace(at, yaml.find('\n', at) - at, Base64Encode("hello"));
  EXPECT_THAT(ErrorOf(yaml),
              HasSubstr("kubeconfig P: context \"dev\": cluster \"c1\": certificate-authority: "
                        "not a PEM certificate ("));
}

TEST(BrokenKubeconfig, CertificateAuthorityFileMissing) {
  std::string yaml = ValidConfig();
  auto at = yaml.find("certificate-authority-data: ");
  yaml.replace(at, yaml.find('\n', at) - at, "certificate-authority: /nonexistent/ca.crt");
  EXPECT_EQ(ErrorOf(yaml),
            "kubeconfig P: context \"dev\": cluster \"c1\": certificate-authority "
            "\"/nonexistent/ca.crt\": No such file or directory");
}

TEST(BrokenKubeconfig, InsecureTogetherWithCertificateAuthority) {
  EXPECT_EQ(ErrorOf(Replace(ValidConfig(),
                            "    server:", "    insecure-skip-tls-verify: true\n    server:")),
            "kubeconfig P: context \"dev\": cluster \"c1\": insecure-skip-tls-verify: true is not "
            "allowed together "
            "with a certificate authority; remove one of them");
}

TEST(BrokenKubeconfig, ClientCertificateWithoutKey) {
  std::string yaml = ValidConfig();
  auto at = yaml.find("    client-key-data: ");
  yaml.erase(at, yaml.find('\n', at) - at + 1);
  EXPECT_EQ(ErrorOf(yaml),
            "kubeconfig P: context \"dev\": user \"bob\": client-certificate is set without "
            "client-key; a client certificate needs both");
}

TEST(BrokenKubeconfig, TokenFileMissing) {
  std::string yaml =
      Replace(ValidConfig(), "  user:\n", "  user:\n    tokenFile: /nonexistent/token\n");
  EXPECT_EQ(ErrorOf(yaml),
            "kubeconfig P: context \"dev\": user \"bob\": tokenFile \"/nonexistent/token\": "
            "No such file or directory");
}

TEST(BrokenKubeconfig, BasicAuthIsRejectedWithWhatToUseInstead) {
  EXPECT_THAT(ErrorOf(Replace(ValidConfig(), "  user:\n",
                              "  user:\n    username: bob\n    password: pw\n")),
              HasSubstr("kubeconfig P: context \"dev\": user \"bob\": username/password: basic "
                        "authentication was "
                        "removed"));
}

TEST(BrokenKubeconfig, ExecWithoutCommand) {
  EXPECT_EQ(
      ErrorOf(Replace(ValidConfig(), "  user:\n",
                      "  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n")),
      "kubeconfig P: context \"dev\": user \"bob\": exec: command: must be set");
}

TEST(BrokenKubeconfig, ExecWithUnsupportedApiVersion) {
  EXPECT_EQ(ErrorOf(Replace(
                ValidConfig(), "  user:\n",
                "  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1alpha1\n"
                "      command: aws\n")),
            "kubeconfig P: context \"dev\": user \"bob\": exec: apiVersion "
            "\"client.authentication.k8s.io/v1alpha1\": "
            "not supported (use client.authentication.k8s.io/v1 or v1beta1)");
}

TEST(BrokenKubeconfig, ExecThatWantsATerminal) {
  EXPECT_THAT(
      ErrorOf(Replace(ValidConfig(), "  user:\n",
                      "  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n"
                      "      command: login\n      interactiveMode: Always\n")),
      HasSubstr("user \"bob\": exec: interactiveMode Always: the plugin needs a terminal"));
}

TEST(BrokenKubeconfig, ListEntryWithoutName) {
  EXPECT_EQ(ErrorOf("clusters:\n- cluster: {server: https://a}\n"),
            "kubeconfig P: clusters[0]: name: must be set");
}

TEST(BrokenKubeconfig, DuplicateNameInOneFile) {
  EXPECT_EQ(ErrorOf("clusters:\n- name: c1\n  cluster: {server: https://a}\n- name: c1\n  cluster: "
                    "{server: https://b}\n"),
            "kubeconfig P: clusters[1] \"c1\": the name is used twice in this file");
}

TEST(BrokenKubeconfig, SectionThatIsNotAList) {
  EXPECT_EQ(ErrorOf("users: bob\n"), "kubeconfig P: users: must be a list of {name, user}");
}

TEST(BrokenKubeconfig, EntryWithoutBody) {
  EXPECT_EQ(ErrorOf("contexts:\n- name: dev\n"),
            "kubeconfig P: contexts[0] \"dev\": context: must be set to a map");
}

TEST(BrokenKubeconfig, FieldWithTheWrongType) {
  EXPECT_EQ(ErrorOf(Replace(ValidConfig(), "server: https://127.0.0.1:6443/", "server: [a, b]")),
            "kubeconfig P: context \"dev\": cluster \"c1\": server: must be a string");
}

}  // namespace
}  // namespace tfws::kube
