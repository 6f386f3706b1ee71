#include "kube/exec_credentials.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/api_error.h"
#include "kube/kubeconfig.h"
#include "kubeconfig_test_util.h"
#include "support/fake_clock.h"

namespace tfws::kube {
namespace {

using time::FakeClock;
using ::testing::HasSubstr;
using testing::TempDir;

// Prints a token numbered by how often it ran, expiring at $EXPIRY; checks
// that it runs non-interactively with the kubeconfig's args and env.
constexpr const char* kPlugin = R"(#!/bin/sh
case "$KUBERNETES_EXEC_INFO" in
  *'"interactive":false'*) ;;
  *) echo "no KUBERNETES_EXEC_INFO: $KUBERNETES_EXEC_INFO" >&2; exit 3 ;;
esac
[ "$1" = "--region" ] && [ "$2" = "eu" ] || { echo "bad args: $*" >&2; exit 4; }
n=$(cat "$COUNTER" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$COUNTER"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-%s","expirationTimestamp":"%s"}}\n' "$n" "$EXPIRY"
)";

std::string KubeconfigWithPlugin(const TempDir& dir, const std::string& expiry) {
  dir.Write("bin/plugin", kPlugin, /*executable=*/true);
  return "current-context: dev\nclusters:\n- name: c1\n  cluster: {server: https://h:1}\n"
         "users:\n- name: bob\n  user:\n    exec:\n      apiVersion: "
         "client.authentication.k8s.io/v1\n"
         "      command: ./bin/plugin\n      args: [--region, eu]\n"
         "      env:\n      - {name: COUNTER, value: " +
         dir.path() +
         "/count}\n"
         "      - {name: EXPIRY, value: \"" +
         expiry +
         "\"}\n"
         "      installHint: install it with apt-get install plugin\n"
         "contexts:\n- name: dev\n  context: {cluster: c1, user: bob}\n";
}

TEST(ExecCredentials, RunsThePluginOnceAndCachesUntilExpiry) {
  TempDir dir;
  FakeClock clock;  // wall time starts at 2026-01-01T00:00:00Z
  std::string path = dir.Write("config", KubeconfigWithPlugin(dir, "2026-01-01T00:01:00Z"));
  ClusterConfig config = Kubeconfig::LoadFiles({path}).Resolve({}, clock);
  auto* exec = dynamic_cast<ExecCredentials*>(config.credentials.get());
  ASSERT_NE(exec, nullptr);
  EXPECT_EQ(exec->runs(), 0);  // loading never runs a plugin

  EXPECT_EQ(config.credentials->Get().bearer_token, "tok-1");
  clock.Advance(std::chrono::seconds(59));
  EXPECT_EQ(config.credentials->Get().bearer_token, "tok-1");
  EXPECT_EQ(exec->runs(), 1);

  clock.Advance(std::chrono::seconds(1));  // expired
  EXPECT_EQ(config.credentials->Get().bearer_token, "tok-2");
  EXPECT_EQ(exec->runs(), 2);
}

TEST(ExecCredentials, RunsAgainAfterTheServerRejectedTheToken) {
  TempDir dir;
  FakeClock clock;
  ClusterConfig config =
      Kubeconfig::LoadFiles(
          {dir.Write("config", KubeconfigWithPlugin(dir, "2099-01-01T00:00:00Z"))})
          .Resolve({}, clock);
  EXPECT_EQ(config.credentials->Get().bearer_token, "tok-1");
  EXPECT_TRUE(config.credentials->Invalidate());
  EXPECT_EQ(config.credentials->Get().bearer_token, "tok-2");
  EXPECT_EQ(config.credentials->Get().bearer_token, "tok-2");
}

TEST(ExecCredentials, AFailingPluginReportsItsStderrAndTheInstallHint) {
  TempDir dir;
  ExecConfig config;
  config.api_version = "client.authentication.k8s.io/v1beta1";
  config.command =
      dir.Write("fail", "#!/bin/sh\necho 'token expired, run login' >&2\nexit 2\n", true);
  config.install_hint = "see https://example.invalid/login";
  config.origin = "kubeconfig /x: user \"bob\": exec";
  try {
    ExecCredentials(config).Get();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "kubeconfig /x: user \"bob\": exec: command \"" +
                                         config.command +
                                         "\": exited with status 2: token expired, run login "
                                         "(see https://example.invalid/login)");
  }
}

TEST(ExecCredentials, AMissingCommandSaysSoAndGivesTheHint) {
  ExecConfig config;
  config.api_version = "client.authentication.k8s.io/v1";
  config.command = "tfws-no-such-plugin";
  config.install_hint = "apt-get install tfws-no-such-plugin";
  config.origin = "o";
  EXPECT_THAT(
      [&] { ExecCredentials(config).Get(); },
      ::testing::ThrowsMessage<ConfigError>(HasSubstr("(apt-get install tfws-no-such-plugin)")));
}

TEST(ExecCredentials, APluginThatHangsIsKilledAtTheDeadline) {
  TempDir dir;
  ExecConfig config;
  config.api_version = "client.authentication.k8s.io/v1";
  config.command = dir.Write("hang", "#!/bin/sh\nexec sleep 30\n", true);
  config.origin = "o";
  config.timeout = std::chrono::milliseconds(200);
  EXPECT_THAT([&] { ExecCredentials(config).Get(); },
              ::testing::ThrowsMessage<ConfigError>(HasSubstr("did not finish within 200 ms")));
}

TEST(ExecCredentials, ParsesClientCertificatesFromTheOutput) {
  ExecConfig config{"client.authentication.k8s.io/v1beta1", "p"};
  auto [credentials, expiry] = ExecCredentials::ParseOutput(
      config, R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",
                  "status":{"clientCertificateData":"CERT","clientKeyData":"KEY"}})");
  EXPECT_EQ(credentials.client_cert_pem, "CERT");
  EXPECT_EQ(credentials.client_key_pem, "KEY");
  EXPECT_FALSE(expiry.has_value());
}

TEST(ExecCredentials, RejectsOutputThatIsNotAnExecCredential) {
  ExecConfig config{"client.authentication.k8s.io/v1", "p"};
  config.origin = "o";
  auto message = [&](const std::string& out) {
    try {
      ExecCredentials::ParseOutput(config, out);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("<no error>");
  };
  EXPECT_EQ(message("hello"), "o: command \"p\": printed no ExecCredential JSON on stdout: hello");
  EXPECT_EQ(
      message(
          R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"t"}})"),
      "o: command \"p\": output apiVersion is \"client.authentication.k8s.io/v1beta1\", want "
      "\"client.authentication.k8s.io/v1\"");
  EXPECT_EQ(
      message(
          R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}})"),
      "o: command \"p\": status has neither token nor clientCertificateData/clientKeyData");
  EXPECT_EQ(message(R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1",
                        "status":{"token":"t","expirationTimestamp":"tomorrow"}})"),
            "o: command \"p\": status.expirationTimestamp \"tomorrow\": not an RFC 3339 time");
}

}  // namespace
}  // namespace tfws::kube
