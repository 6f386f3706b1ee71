#include "workspace_status.h"

#include <gtest/gtest.h>

namespace tfws::plugin {
namespace {

using nlohmann::json;

json WithConfigValid(const std::string& status, const std::string& reason, const std::string& message) {
  return {{"metadata", {{"name", "alice"}}},
          {"spec", {{"ssh", {{"enabled", true}}}}},
          {"status",
           {{"conditions",
             json::array({{{"type", "ConfigValid"}, {"status", status}, {"reason", reason}, {"message", message}}})}}}};
}

TEST(SshUnavailableReason, IsTheOperatorsMessageWhenItTurnedSshOff) {
  EXPECT_EQ(SshUnavailableReason(WithConfigValid("False", "SSHUnavailable", "image x has no sshd")),
            "image x has no sshd");
}

TEST(SshUnavailableReason, IsEmptyForAnyOtherConditionOrNoStatus) {
  EXPECT_EQ(SshUnavailableReason(WithConfigValid("True", "Valid", "the spec can be run as written")), "");
  EXPECT_EQ(SshUnavailableReason(WithConfigValid("False", "InvalidAuthorizedKeys", "line 2")), "");
  EXPECT_EQ(SshUnavailableReason(json{{"metadata", {{"name", "alice"}}}}), "");
}

}  // namespace
}  // namespace tfws::plugin
