// Specification of the structured logger: JSON lines, text lines, levels,
// sinks, and that credentials never reach a line.
#include "observe/log.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

namespace tfws::observe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CapturingSink : public LogSink {
 public:
  void Write(const LogRecord& record) override {
    std::lock_guard lock(mu);
    records.push_back(record);
  }
  std::mutex mu;
  std::vector<LogRecord> records;
};

// Captures stderr and the records every sink sees while a test logs.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ConfigureLogging({LogFormat::kJson, LogLevel::kDebug});
    AddLogSink(sink_);
    ::testing::internal::CaptureStderr();
  }
  void TearDown() override {
    if (!captured_) ::testing::internal::GetCapturedStderr();
    RemoveLogSink(sink_);
    ConfigureLogging({});
  }
  std::string Stderr() {
    captured_ = true;
    return ::testing::internal::GetCapturedStderr();
  }
  std::shared_ptr<CapturingSink> sink_ = std::make_shared<CapturingSink>();
  bool captured_ = false;
};

LogRecord Record(std::string message, Fields fields = {}) {
  return LogRecord{std::chrono::system_clock::time_point(std::chrono::milliseconds(1700000000123)),
                   LogLevel::kInfo, "reconciler", std::move(message), std::move(fields)};
}

TEST(FormatJson, WritesTimeLevelLoggerMessageThenFieldsAsOneObject) {
  const auto line = FormatJson(Record("workspace ready", {{"namespace", "team-a"}, {"gpus", 2}}));
  EXPECT_EQ(line,
            R"({"time":"2023-11-14T22:13:20.123000Z","level":"info","logger":"reconciler",)"
            R"("msg":"workspace ready","namespace":"team-a","gpus":2})");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(FormatJson, RenamesFieldsThatWouldOverwriteTheEnvelope) {
  const auto j = nlohmann::json::parse(FormatJson(Record("m", {{"msg", "x"}, {"level", 3}})));
  EXPECT_EQ(j["msg"], "m");
  EXPECT_EQ(j["field.msg"], "x");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["field.level"], 3);
}

TEST(FormatJson, ReplacesInvalidUtf8InsteadOfThrowing) {
  EXPECT_NO_THROW(FormatJson(Record(std::string("bad \xff byte"))));
}

TEST(FormatText, WritesOneHumanLineQuotingValuesWithSpaces) {
  EXPECT_EQ(FormatText(Record("created pod", {{"pod", "ws-1"}, {"reason", "spec changed"}, {"n", 3}})),
            "2023-11-14T22:13:20.123000Z info reconciler: created pod pod=ws-1 "
            "reason=\"spec changed\" n=3");
}

TEST(ParseLogLevel, AcceptsTheFourLevelsInAnyCase) {
  EXPECT_EQ(ParseLogLevel("DEBUG"), LogLevel::kDebug);
  EXPECT_EQ(ParseLogLevel("info"), LogLevel::kInfo);
  EXPECT_EQ(ParseLogLevel("warning"), LogLevel::kWarn);
  EXPECT_EQ(ParseLogLevel("error"), LogLevel::kError);
}

TEST(ParseLogLevel, RejectsOthersNamingTheFlagAndTheChoices) {
  try {
    ParseLogLevel("verbose");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), HasSubstr("--log-level"));
    EXPECT_THAT(e.what(), HasSubstr("debug, info, warn, error"));
  }
  EXPECT_THROW(ParseLogFormat("xml"), std::invalid_argument);
  EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
}

TEST_F(LogTest, EveryRecordIsOneJsonLineOnStderrAndReachesSinks) {
  Logger("controller").With("controller", "tfworkspace").Info("started", {{"workers", 4}});
  const std::string out = Stderr();
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["logger"], "controller");
  EXPECT_EQ(j["controller"], "tfworkspace");
  EXPECT_EQ(j["workers"], 4);
  const std::string time = j["time"];  // RFC 3339, UTC, microseconds: 2024-01-02T03:04:05.678901Z
  ASSERT_EQ(time.size(), 27u) << time;
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time[19], '.');
  EXPECT_EQ(time.back(), 'Z');
  ASSERT_EQ(sink_->records.size(), 1u);
  EXPECT_EQ(sink_->records[0].message, "started");
}

TEST_F(LogTest, RecordsBelowTheLevelAreDropped) {
  ConfigureLogging({LogFormat::kJson, LogLevel::kWarn});
  Logger log("x");
  log.Info("quiet");
  log.Debug("quiet");
  log.Warn("loud");
  const std::string out = Stderr();
  EXPECT_THAT(out, Not(HasSubstr("quiet")));
  EXPECT_THAT(out, HasSubstr("loud"));
  EXPECT_FALSE(log.Enabled(LogLevel::kInfo));
}

TEST_F(LogTest, TextFormatWritesHumanLines) {
  ConfigureLogging({LogFormat::kText, LogLevel::kInfo});
  Logger("main").Info("hello", {{"k", "v"}});
  const std::string out = Stderr();
  EXPECT_THAT(out, ::testing::EndsWith("Z info main: hello k=v\n"));
  EXPECT_EQ(out.find(' '), 27u);
}

TEST_F(LogTest, StderrOnlyRecordsNeverReachSinks) {
  WriteToStderrOnly(LogLevel::kWarn, "loki-sink", "dropped 3 lines", {{"dropped", 3}});
  EXPECT_THAT(Stderr(), HasSubstr("dropped 3 lines"));
  EXPECT_TRUE(sink_->records.empty());
}

// ---- Redaction: no token, Authorization header or Secret data in any line ----

constexpr const char* kJwt =
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEyMyJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLXNpZw";

TEST_F(LogTest, FieldsNamedLikeCredentialsAreRedacted) {
  Logger("kube").Info("request", {{"token", "s3cr3t-token-value"},
                                  {"Authorization", "Bearer abc.def"},
                                  {"jupyterToken", "t0k3n"},
                                  {"password", "hunter2"},
                                  {"clientPrivateKey", "-----BEGIN"}});
  const std::string out = Stderr();
  for (const char* secret : {"s3cr3t-token-value", "abc.def", "t0k3n", "hunter2", "BEGIN"}) {
    EXPECT_THAT(out, Not(HasSubstr(secret)));
    EXPECT_THAT(FormatJson(sink_->records.at(0)), Not(HasSubstr(secret)));
  }
  EXPECT_THAT(out, HasSubstr(R"("token":"[REDACTED]")"));
}

TEST_F(LogTest, BearerTokensAndJwtsInsideValuesAndMessagesAreRedacted) {
  Logger("kube").Error(std::string("unauthorized with Authorization: Bearer ") + kJwt,
                       {{"header", std::string("bearer ") + "opaque-123456"},
                        {"raw", std::string("id_token ") + kJwt},
                        {"url", "https://h/api?token=abc123&watch=1"},
                        {"cmd", "JUPYTER_TOKEN=deadbeef jupyter notebook"},
                        {"basic", "Authorization: Basic dXNlcjpwYXNz"}});
  const std::string out = Stderr();
  for (const char* secret : {"eyJhbGci", "opaque-123456", "abc123", "deadbeef", "dXNlcjpwYXNz"}) {
    EXPECT_THAT(out, Not(HasSubstr(secret))) << out;
  }
  EXPECT_THAT(out, HasSubstr("watch=1"));  // only the credential goes
  EXPECT_THAT(out, HasSubstr("jupyter notebook"));
}

TEST_F(LogTest, SecretObjectDataAndNestedCredentialKeysAreRedacted) {
  nlohmann::json secret = {{"apiVersion", "v1"},
                           {"kind", "Secret"},
                           {"metadata", {{"name", "ws-token"}}},
                           {"data", {{"token", "dG9rZW4="}}},
                           {"stringData", {{"token", "plain-token"}}}};
  nlohmann::json config = {{"users", {{{"name", "admin"}, {"user", {{"token", "kubeconfig-token"}}}}}}};
  Logger("kube").Info("applied", {{"object", secret}, {"config", config}});
  const std::string out = Stderr();
  for (const char* s : {"dG9rZW4=", "plain-token", "kubeconfig-token"}) {
    EXPECT_THAT(out, Not(HasSubstr(s))) << out;
  }
  EXPECT_THAT(out, HasSubstr("ws-token"));  // names of Secrets are fine
}

TEST(RedactText, LeavesOrdinaryTextAlone) {
  for (const char* text : {"created Secret ws-token for workspace ws", "basic setup done",
                           "tokens: 3 left", "Pod ws is Running on node gpu-a100-0"}) {
    EXPECT_EQ(RedactText(text), text);
  }
}

}  // namespace
}  // namespace tfws::observe
