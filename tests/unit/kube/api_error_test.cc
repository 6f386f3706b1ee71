#include "kube/api_error.h"

#include <gtest/gtest.h>

namespace tfws::kube {
namespace {

TEST(ApiErrorFromResponse, ReadsCodeReasonMessageAndCausesFromAStatusBody) {
  auto error = ApiErrorFromResponse(422, R"({"kind":"Status","apiVersion":"v1","status":"Failure",
    "message":"TFWorkspace.tfws.io \"x\" is invalid: spec.gpu.count: Invalid value: -1: must be between 0 and 16",
    "reason":"Invalid","details":{"name":"x","causes":[{"reason":"FieldValueInvalid",
    "message":"Invalid value: -1: must be between 0 and 16","field":"spec.gpu.count"}]},"code":422})");
  EXPECT_EQ(error.code(), 422);
  EXPECT_EQ(error.reason(), "Invalid");
  EXPECT_TRUE(error.IsInvalid());
  ASSERT_EQ(error.causes().size(), 1u);
  EXPECT_EQ(error.causes()[0].field, "spec.gpu.count");
  EXPECT_EQ(error.causes()[0].reason, "FieldValueInvalid");
  EXPECT_STREQ(error.what(),
               "TFWorkspace.tfws.io \"x\" is invalid: spec.gpu.count: Invalid value: -1: must be "
               "between 0 and 16");
}

TEST(ApiErrorFromResponse, TellsAlreadyExistsFromConflict) {
  auto exists =
      ApiErrorFromResponse(409, R"({"kind":"Status","reason":"AlreadyExists","code":409})");
  auto conflict = ApiErrorFromResponse(409, R"({"kind":"Status","reason":"Conflict","code":409})");
  EXPECT_TRUE(exists.IsAlreadyExists());
  EXPECT_FALSE(exists.IsConflict());
  EXPECT_TRUE(conflict.IsConflict());
  EXPECT_FALSE(conflict.IsAlreadyExists());
}

TEST(ApiErrorFromResponse, RecognisesQuotaForbiddenButNotRbacForbidden) {
  auto quota = ApiErrorFromResponse(403, R"({"kind":"Status","reason":"Forbidden","code":403,
    "message":"pods \"x\" is forbidden: exceeded quota: gpu, requested: requests.nvidia.com/gpu=2, used: requests.nvidia.com/gpu=8, limited: requests.nvidia.com/gpu=8"})");
  auto rbac = ApiErrorFromResponse(403, R"({"kind":"Status","reason":"Forbidden","code":403,
    "message":"pods is forbidden: User \"bob\" cannot list resource \"pods\""})");
  EXPECT_TRUE(quota.IsQuotaExceeded());
  EXPECT_TRUE(rbac.IsForbidden());
  EXPECT_FALSE(rbac.IsQuotaExceeded());
}

TEST(ApiErrorFromResponse, RecognisesGoneByCodeReasonOrMessage) {
  EXPECT_TRUE(
      ApiErrorFromResponse(410, R"({"kind":"Status","code":410,"reason":"Gone"})").IsGone());
  EXPECT_TRUE(ApiErrorFromResponse(410, R"({"kind":"Status","code":410,"reason":"Expired",
    "message":"The provided continue parameter is too old"})")
                  .IsGone());
  EXPECT_TRUE(ApiErrorFromResponse(500, R"j({"kind":"Status","code":500,
    "message":"too old resource version: 12 (3456)"})j")
                  .IsGone());
  EXPECT_FALSE(
      ApiErrorFromResponse(404, R"({"kind":"Status","code":404,"reason":"NotFound"})").IsGone());
}

TEST(ApiErrorFromResponse, PrefersTheRetryAfterHeaderOverDetails) {
  auto from_details =
      ApiErrorFromResponse(429, R"({"kind":"Status","code":429,"reason":"TooManyRequests",
    "details":{"retryAfterSeconds":3}})");
  EXPECT_EQ(from_details.retry_after_seconds(), 3);
  auto from_header =
      ApiErrorFromResponse(429, R"({"kind":"Status","code":429,"details":{"retryAfterSeconds":3}})",
                           {{"retry-after", "7"}});
  EXPECT_EQ(from_header.retry_after_seconds(), 7);
  EXPECT_TRUE(from_header.IsTooManyRequests());
}

TEST(ApiErrorFromResponse, FallsBackToTheHttpStatusForABodyThatIsNotAStatus) {
  auto error = ApiErrorFromResponse(503, "<html>upstream connect error</html>\n");
  EXPECT_EQ(error.code(), 503);
  EXPECT_EQ(error.reason(), "ServiceUnavailable");
  EXPECT_TRUE(error.IsServerError());
  EXPECT_STREQ(error.what(), "the server answered HTTP 503: <html>upstream connect error</html>");
  EXPECT_EQ(ApiErrorFromResponse(404, "").reason(), "NotFound");
}

}  // namespace
}  // namespace tfws::kube
