// The activity probe. Without a server: an unreachable Jupyter is an error
// that names the URL. Against a real Jupyter Notebook (tests/contract/
// image_jupyter.sh runs Debian's with the rendered command line and sets
// TFWS_JUPYTER_BASE_URL and TFWS_JUPYTER_TOKEN; skipped otherwise): the
// token is used, activity is read, the probe itself is not activity, a user's
// request is.
#include "workspace/jupyter_activity_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cpprest/http_client.h>

#include <cstdlib>
#include <thread>

namespace tfws::workspace {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(JupyterActivityProbe, AnUnreachableJupyterIsAnErrorNamingTheUrl) {
  const ActivityProbeResult r = MakeJupyterActivityProbe(std::chrono::seconds(2))(
      "http://127.0.0.1:1/tfws/team-a/alice/", "secret-token-value");
  EXPECT_FALSE(r.activity);
  EXPECT_THAT(r.error, HasSubstr("GET http://127.0.0.1:1/tfws/team-a/alice/api/status"));
  EXPECT_THAT(r.error, Not(HasSubstr("secret-token-value")));
}

TEST(JupyterActivityProbeAgainstJupyter, ReadsActivityWithTheTokenWithoutCountingAsActivity) {
  const char* base = std::getenv("TFWS_JUPYTER_BASE_URL");
  const char* token = std::getenv("TFWS_JUPYTER_TOKEN");
  if (!base || !token) GTEST_SKIP() << "run by tests/contract/image_jupyter.sh against a real Jupyter";
  const ActivityProbe probe = MakeJupyterActivityProbe();

  // A kernel that just started still sends its startup messages (activity);
  // once it is quiet, probes a second apart see the same last activity.
  ActivityProbeResult first, second;
  for (int attempt = 0; attempt < 15; ++attempt) {
    first = probe(base, token);
    ASSERT_TRUE(first.activity) << first.error;
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    second = probe(base, token);
    ASSERT_TRUE(second.activity) << second.error;
    if (second.activity->last_activity == first.activity->last_activity) break;
  }
  ASSERT_TRUE(first.activity->last_activity);
  EXPECT_GE(first.activity->kernels, 1) << "the contract test started a kernel";
  EXPECT_FALSE(first.activity->busy);
  EXPECT_EQ(second.activity->last_activity, first.activity->last_activity) << "probing is not activity";

  // A user's request is activity.
  web::http::client::http_client user(utility::conversions::to_string_t(std::string(base) + "api/contents"));
  web::http::http_request request(web::http::methods::GET);
  request.headers().add("Authorization", std::string("token ") + token);
  ASSERT_EQ(user.request(request).get().status_code(), 200);
  const ActivityProbeResult third = probe(base, token);
  ASSERT_TRUE(third.activity) << third.error;
  EXPECT_GT(third.activity->last_activity, first.activity->last_activity);

  const ActivityProbeResult refused = probe(base, std::string("wrong-") + token);
  EXPECT_FALSE(refused.activity);
  EXPECT_THAT(refused.error, HasSubstr("HTTP 403 (the token was refused)"));
  EXPECT_THAT(refused.error, Not(HasSubstr(token)));
}

}  // namespace
}  // namespace tfws::workspace
