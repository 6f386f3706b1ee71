#include <gtest/gtest.h>

#include "workspace/cidr.h"

namespace tfws::workspace {
namespace {

TEST(Cidr, ParsesIpv4AndIpv6AndRefusesTheRest) {
  EXPECT_TRUE(ParseCidr("10.0.0.0/8"));
  EXPECT_TRUE(ParseCidr("fd00:ec2::254/128"));
  EXPECT_TRUE(ParseCidr("::/0"));
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0/8", "256.0.0.0/8", "fd00::/129", "x/8", "10.0.0.0/", "/8", "10.0.0.0/-1"}) {
    EXPECT_FALSE(ParseCidr(bad)) << bad;
  }
}

TEST(Cidr, ContainsOnlyBlocksOfItsFamilyInsideIt) {
  const Cidr all_v4 = *ParseCidr("0.0.0.0/0");
  const Cidr ten = *ParseCidr("10.0.0.0/8");
  EXPECT_TRUE(all_v4.Contains(*ParseCidr("169.254.169.254/32")));
  EXPECT_FALSE(all_v4.Contains(*ParseCidr("fd00:ec2::254/128")));
  EXPECT_TRUE(ten.Contains(*ParseCidr("10.1.2.0/24")));
  EXPECT_TRUE(ten.Contains(ten));
  EXPECT_FALSE(ten.Contains(all_v4));
  EXPECT_FALSE(ten.Contains(*ParseCidr("11.0.0.0/24")));
  EXPECT_TRUE(ParseCidr("fd00::/8")->Contains(*ParseCidr("fd00:ec2::254/128")));
  EXPECT_FALSE(ParseCidr("fe00::/8")->Contains(*ParseCidr("fd00:ec2::254/128")));
}

}  // namespace
}  // namespace tfws::workspace
