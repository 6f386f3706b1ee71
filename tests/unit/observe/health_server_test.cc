// Specification of /healthz and /readyz.
#include "observe/health_server.h"

#include "metrics_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

namespace tfws::observe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(HealthServer, AnEndpointWithoutChecksIsHealthy) {
  HealthServer server("127.0.0.1:0");
  EXPECT_EQ(server.Answer("/healthz", false).status, 200);
  EXPECT_EQ(server.Answer("/readyz", false).body, "ok");
}

TEST(HealthServer, FailingChecksAnswer500ListingOnlyTheFailures) {
  HealthServer server("127.0.0.1:0");
  server.AddReadyCheck("ping", [] { return CheckResult::Ok(); });
  server.AddReadyCheck("informer-sync", [] { return CheckResult::Failed("tfworkspaces not synced"); });
  const auto r = server.Answer("/readyz", false);
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("[-]informer-sync failed: tfworkspaces not synced"));
  EXPECT_THAT(r.body, Not(HasSubstr("ping")));
  EXPECT_THAT(r.body, HasSubstr("readyz check failed"));
}

TEST(HealthServer, VerboseListsEveryCheck) {
  HealthServer server("127.0.0.1:0");
  server.AddHealthCheck("ping", [] { return CheckResult::Ok(); });
  server.AddHealthCheck("lease", [] { return CheckResult::Ok(); });
  const auto r = server.Answer("/healthz", true);
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("[+]ping ok\n[+]lease ok\nhealthz check passed"));
}

TEST(HealthServer, AThrowingCheckFailsWithTheExceptionMessage) {
  HealthServer server("127.0.0.1:0");
  server.AddHealthCheck("boom", []() -> CheckResult { throw std::runtime_error("disk gone"); });
  const auto r = server.Answer("/healthz", false);
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("[-]boom failed: check threw: disk gone"));
}

TEST(HealthServer, ASingleCheckCanBeAskedForByName) {
  HealthServer server("127.0.0.1:0");
  server.AddReadyCheck("a", [] { return CheckResult::Ok(); });
  server.AddReadyCheck("b", [] { return CheckResult::Failed("no"); });
  EXPECT_EQ(server.Answer("/readyz/a", false).status, 200);
  EXPECT_EQ(server.Answer("/readyz/b", false).status, 500);
  EXPECT_EQ(server.Answer("/readyz/c", false).status, 404);
  EXPECT_EQ(server.Answer("/other", false).status, 404);
}

TEST(HealthServer, ServesTheAnswersOverHttpOnItsOwnPort) {
  std::atomic<bool> synced{false};
  HealthServer server("127.0.0.1:0");
  server.AddHealthCheck("ping", [] { return CheckResult::Ok(); });
  server.AddReadyCheck("informer-sync", [&] {
    return synced ? CheckResult::Ok() : CheckResult::Failed("caches not synced yet");
  });
  server.Start();
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(testing::HttpGet(server.port(), "/healthz").status, 200);
  EXPECT_EQ(testing::HttpGet(server.port(), "/healthz").body, "ok");
  auto ready = testing::HttpGet(server.port(), "/readyz");
  EXPECT_EQ(ready.status, 500);
  EXPECT_THAT(ready.body, HasSubstr("caches not synced yet"));
  synced = true;
  EXPECT_EQ(testing::HttpGet(server.port(), "/readyz").status, 200);
  auto verbose = testing::HttpGet(server.port(), "/readyz?verbose");
  EXPECT_THAT(verbose.body, HasSubstr("[+]informer-sync ok"));
  EXPECT_EQ(testing::HttpGet(server.port(), "/readyz/informer-sync").status, 200);
  EXPECT_EQ(testing::HttpGet(server.port(), "/metrics").status, 404);
  server.Stop();
  EXPECT_EQ(testing::HttpGet(server.port() == 0 ? 1 : server.port(), "/healthz").status, 0);
}

TEST(HealthServer, ChecksAddedAfterStartAreServed) {
  HealthServer server("127.0.0.1:0");
  server.Start();
  server.AddHealthCheck("late", [] { return CheckResult::Failed("late failure"); });
  EXPECT_EQ(testing::HttpGet(server.port(), "/healthz").status, 500);
}

TEST(HealthServer, APortInUseFailsNamingTheFlag) {
  HealthServer first("127.0.0.1:0");
  first.Start();
  HealthServer second("127.0.0.1:" + std::to_string(first.port()));
  try {
    second.Start();
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("--health-probe-bind-address"));
  }
}

}  // namespace
}  // namespace tfws::observe
