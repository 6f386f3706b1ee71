// kubectl-style command lines: flags anywhere, = or space, short forms,
// switches, repeated flags, `--` passthrough; errors name the flag.
#include <gtest/gtest.h>

#include "args.h"

namespace tfws::plugin {
namespace {

const std::vector<FlagSpec> kSpecs = {
    {"gpus", 0, true, false, "N", ""},
    {"dataset", 0, true, true, "NAME=CLAIM", ""},
    {"dry-run", 0, false, false, "", ""},
    {"output", 'o', true, false, "FORMAT", ""},
    {"all-namespaces", 'A', false, false, "", ""},
};

TEST(Args, FlagsBeforeAndAfterPositionals) {
  auto a = ParseArgs({"--gpus=2", "alice", "-n", "ml", "--dataset", "x=a", "--dataset=y=b", "--dry-run", "-oyaml",
                      "--context", "dev", "-A"},
                     kSpecs);
  EXPECT_EQ(a.positional, std::vector<std::string>{"alice"});
  EXPECT_EQ(a.Int("gpus", 0, 16), 2);
  EXPECT_EQ(a.Get("namespace"), "ml");
  EXPECT_EQ(a.All("dataset"), (std::vector<std::string>{"x=a", "y=b"}));
  EXPECT_TRUE(a.Bool("dry-run"));
  EXPECT_TRUE(a.Bool("all-namespaces"));
  EXPECT_EQ(a.Get("output"), "yaml");
  EXPECT_EQ(a.Get("context"), "dev");
  EXPECT_FALSE(a.Has("kubeconfig"));
}

TEST(Args, DashesKeepTheRestVerbatim) {
  auto a = ParseArgs({"alice", "--", "-v", "--gpus", "uname -a"}, kSpecs);
  EXPECT_TRUE(a.saw_dashes);
  EXPECT_EQ(a.after_dashes, (std::vector<std::string>{"-v", "--gpus", "uname -a"}));
  EXPECT_FALSE(a.Has("gpus"));
}

TEST(Args, ErrorsNameTheFlag) {
  auto message = [](std::vector<std::string> args) {
    try {
      auto a = ParseArgs(args, kSpecs);
      a.Int("gpus", 0, 16);
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message({"--gpu", "2"}), "unknown flag --gpu");
  EXPECT_EQ(message({"--gpus"}), "--gpus needs a value (N)");
  EXPECT_EQ(message({"--gpus", "17"}), "--gpus: invalid value \"17\": must be a whole number from 0 to 16");
  EXPECT_EQ(message({"--gpus", "2x"}), "--gpus: invalid value \"2x\": must be a whole number from 0 to 16");
  EXPECT_EQ(message({"--gpus=1", "--gpus=2"}), "--gpus given twice; give it once");
  EXPECT_EQ(message({"--dry-run=maybe"}), "--dry-run: invalid value \"maybe\": it is a switch (true or false)");
  EXPECT_EQ(message({"-x"}), "unknown shorthand flag -x in -x");
}

TEST(Args, Durations) {
  EXPECT_EQ(ParseDuration("90s", "timeout").count(), 90);
  EXPECT_EQ(ParseDuration("5m", "timeout").count(), 300);
  EXPECT_EQ(ParseDuration("1h30m", "timeout").count(), 5400);
  EXPECT_EQ(ParseDuration("300", "timeout").count(), 300);
  EXPECT_THROW(ParseDuration("5 minutes", "timeout"), UsageError);
  EXPECT_THROW(ParseDuration("m", "timeout"), UsageError);
  EXPECT_THROW(ParseDuration("", "timeout"), UsageError);
}

}  // namespace
}  // namespace tfws::plugin
