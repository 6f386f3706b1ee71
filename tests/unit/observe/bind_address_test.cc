// Specification of the bind-address flags' syntax.
#include "observe/bind_address.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tfws::observe {
namespace {

TEST(CivetListeningPorts, AcceptsControllerRuntimeStyleAddresses) {
  EXPECT_EQ(CivetListeningPorts(":8080", "--metrics-bind-address"), "8080");
  EXPECT_EQ(CivetListeningPorts("8081", "f"), "8081");
  EXPECT_EQ(CivetListeningPorts("127.0.0.1:0", "f"), "127.0.0.1:0");
  EXPECT_EQ(CivetListeningPorts("0.0.0.0:9090", "f"), "0.0.0.0:9090");
  EXPECT_EQ(CivetListeningPorts("localhost:9090", "f"), "127.0.0.1:9090");
  EXPECT_EQ(CivetListeningPorts("[::1]:9090", "f"), "[::1]:9090");
}

TEST(CivetListeningPorts, RejectsMalformedAddressesNamingTheFlag) {
  for (const char* bad : {"", ":", ":http", "host.example:80", "1.2.3.4:70000", "[::1:80"}) {
    try {
      CivetListeningPorts(bad, "--metrics-bind-address");
      ADD_FAILURE() << "accepted " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("--metrics-bind-address"));
    }
  }
}

TEST(BindAddressDisabled, ZeroAloneDisablesTheServer) {
  EXPECT_TRUE(BindAddressDisabled("0"));
  EXPECT_FALSE(BindAddressDisabled(":0"));
  EXPECT_FALSE(BindAddressDisabled(":8080"));
}

}  // namespace
}  // namespace tfws::observe
