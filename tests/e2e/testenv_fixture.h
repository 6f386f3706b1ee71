// Shared helpers for the end-to-end tests: they run against the real control
// plane started by hack/testenv (docs/testenv.md).
//
// - The kubeconfig comes from $KUBECONFIG, else ${TFWS_TESTENV_DIR:-/tmp/tfws-testenv}/kubeconfig.
//   A missing cluster is a test FAILURE with a message saying how to start one, never a skip.
// - TestenvTest gives each test a Client and, on request, its own namespace
//   with a unique name, deleted when the test ends.
// - WaitFor polls a predicate (the cluster is asynchronous; there is no other
//   way to observe controllers) until it holds or a timeout passes.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <memory>
#include <optional>
#include <source_location>
#include <string>

#include "kube/client.h"
#include "kube/client_factory.h"
#include "kube/cluster_config.h"

namespace tfws::e2e {

// ${TFWS_TESTENV_DIR:-/tmp/tfws-testenv}
std::string TestenvDir();
// $KUBECONFIG when set, else TestenvDir()/kubeconfig.
std::string KubeconfigPath();
// The apiserver's audit log: TestenvDir()/audit.log.
std::string AuditLogPath();
// The hack/testenv script of this source tree.
std::string TestenvScript();
// The path of a file in the testenv state folder (e.g. "static-token").
std::string TestenvFile(const std::string& name);

// Loads the testenv kubeconfig. Throws std::runtime_error with the fix when it
// is absent (`TFWS_TESTENV_DIR=... hack/testenv up`).
kube::ClusterConfig LoadTestenvConfig();
std::shared_ptr<kube::Client> MakeTestenvClient(const kube::ClientOptions& options = {});

// A DNS-1123 name with a random suffix: "<prefix>-k3x9q2".
std::string UniqueName(const std::string& prefix);

// Polls predicate every interval until it returns true (-> true) or timeout
// passes (-> false). Exceptions from the predicate count as "not yet".
// With TFWS_E2E_WAIT_LOG=1 each wait prints how long it took, the test and
// the caller's line ("[ waited ] Suite.Test file.cc:123 4.2 s of 30 s"): how
// the timeouts (about twice the measured time) are measured.
bool WaitFor(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
             std::chrono::milliseconds interval = std::chrono::milliseconds(100),
             std::source_location caller = std::source_location::current());

// The integer in environment variable `name`, or fallback when it is unset or empty
// (knobs such as TFWS_E2E_QUIET_SECONDS).
int IntFromEnv(const char* name, int fallback);

// Runs a shell command; returns its exit status and captures stdout.
int RunCommand(const std::string& command, std::string* output = nullptr);

class TestenvTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  kube::Client& client() { return *client_; }
  std::shared_ptr<kube::Client> shared_client() { return client_; }
  // The test's own namespace, created on first use (labelled tfws.io/e2e=true)
  // and deleted (in the background) when the test ends. Safe to call from the
  // test's helper threads.
  const std::string& ns();

 private:
  std::shared_ptr<kube::Client> client_;
  std::mutex namespace_mutex_;
  std::optional<std::string> namespace_;  // guarded by namespace_mutex_
};

}  // namespace tfws::e2e
