// TLS options of a ClusterConfig against the real API server, whose serving
// certificate is issued by the testenv CA for localhost and 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "kube/api_error.h"
#include "testenv_fixture.h"

namespace tfws::e2e {
namespace {

using kube::Json;

// Lists namespaces with a client built from config; returns "" or the error.
std::string TryList(const kube::ClusterConfig& config) {
  kube::ClientOptions options;
  options.retry.max_attempts = 1;
  auto client = kube::MakeClient(config, options);
  try {
    client->List(kube::resources::kNamespaces, "", {.limit = 1});
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

TEST(KubeTls, VerifiesTheServerAgainstTheClusterCa) { EXPECT_EQ(TryList(LoadTestenvConfig()), ""); }

TEST(KubeTls, RejectsTheServerWhenTheCaDoesNotMatch) {
  kube::ClusterConfig config = LoadTestenvConfig();
  config.tls.ca_pem.clear();  // only the system trust store, which does not know the testenv CA
  EXPECT_THAT(TryList(config), ::testing::HasSubstr("SSL"));
}

TEST(KubeTls, InsecureSkipVerifyAcceptsAnUnknownCa) {
  kube::ClusterConfig config = LoadTestenvConfig();
  config.tls.ca_pem.clear();
  config.tls.insecure_skip_verify = true;
  EXPECT_EQ(TryList(config), "");
}

TEST(KubeTls, TlsServerNameIsTheNameVerifiedInTheCertificate) {
  kube::ClusterConfig config = LoadTestenvConfig();
  config.tls.server_name = "localhost";  // in the certificate, though the URL says 127.0.0.1
  EXPECT_EQ(TryList(config), "");
  config.tls.server_name = "not-the-apiserver.example";
  EXPECT_THAT(TryList(config), ::testing::HasSubstr("SSL"));
}

TEST(KubeTls, WithoutAClientCertificateTheServerSeesAnonymous) {
  kube::ClusterConfig config = LoadTestenvConfig();
  config.tls.client_cert_pem.clear();
  config.tls.client_key_pem.clear();
  std::string error = TryList(config);
  EXPECT_THAT(error, ::testing::AnyOf(::testing::HasSubstr("system:anonymous"),
                                      ::testing::HasSubstr("Unauthorized")));
}

}  // namespace
}  // namespace tfws::e2e
