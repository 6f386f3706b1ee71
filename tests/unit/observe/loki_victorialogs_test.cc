// The Loki sink against a real Loki push-API server (VictoriaLogs), driven by
// tests/contract/loki_sink.sh. Skipped unless these are set:
//   TFWS_VICTORIALOGS_URL         base URL, e.g. http://127.0.0.1:9428
//   TFWS_VICTORIALOGS_STOP_CMD    shell command that stops the server (data kept)
//   TFWS_VICTORIALOGS_START_CMD   shell command that starts it again
// Pushes while the server is up, while it is stopped, and after it is back:
// every line accepted before the buffer limit is queryable afterwards (LogsQL)
// with the right labels and fields, in order, exactly once; lines past the
// limit are counted as dropped.
#include "observe/loki_sink.h"

#include "metrics_test_util.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace tfws::observe {
namespace {

using namespace std::chrono_literals;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int PortOf(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

std::string UrlEncode(const std::string& s) {
  std::ostringstream out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out << c;
    } else {
      out << '%' << "0123456789ABCDEF"[c >> 4] << "0123456789ABCDEF"[c & 15];
    }
  }
  return out.str();
}

// Runs a LogsQL query; one JSON object per result line.
std::vector<nlohmann::json> LogsQl(int port, const std::string& tenant, const std::string& query) {
  // VictoriaLogs reads the Loki tenant header X-Scope-OrgID as its AccountID.
  const auto answer = testing::HttpGet(port, "/select/logsql/query?query=" + UrlEncode(query),
                                       "AccountID: " + tenant + "\r\n");
  EXPECT_EQ(answer.status, 200) << answer.body;
  std::vector<nlohmann::json> rows;
  std::istringstream lines(answer.body);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

TEST(LokiSinkAgainstVictoriaLogs, EveryAcceptedLineSurvivesAnOutageAndDroppedOnesAreCounted) {
  const std::string base = Env("TFWS_VICTORIALOGS_URL");
  const std::string stop_cmd = Env("TFWS_VICTORIALOGS_STOP_CMD");
  const std::string start_cmd = Env("TFWS_VICTORIALOGS_START_CMD");
  if (base.empty() || stop_cmd.empty() || start_cmd.empty()) {
    GTEST_SKIP() << "TFWS_VICTORIALOGS_URL/_STOP_CMD/_START_CMD not set (run tests/contract/loki_sink.sh)";
  }
  const std::string run = "run" + std::to_string(std::random_device{}());

  LokiSinkOptions o;
  o.url = base + "/insert/loki/api/v1/push?_msg_field=msg";
  o.tenant = "7";  // VictoriaLogs: X-Scope-OrgID is a numeric AccountID
  o.static_labels = {{"test_run", run}};
  o.batch_max_wait = 100ms;
  o.batch_max_bytes = 16 << 10;
  o.max_buffered_bytes = 64 << 10;
  o.min_backoff = 50ms;
  o.max_backoff = 400ms;
  o.request_timeout = 2000ms;
  o.registry = std::make_shared<prometheus::Registry>();
  auto sink = std::make_shared<LokiSink>(o);

  std::set<int> accepted;
  int seq = 0;
  const std::string padding(150, 'p');
  auto write = [&](const char* phase) {
    const auto before = sink->dropped();
    sink->Write({std::chrono::system_clock::now(), LogLevel::kInfo, "reconciler",
                 std::string("reconciled (") + phase + ")",
                 {{"namespace", "team-a"}, {"workspace", "ws-1"}, {"seq", seq}, {"phase", phase},
                  {"padding", padding}}});
    if (sink->dropped() == before) accepted.insert(seq);
    ++seq;
  };

  // 1. Server up.
  for (int i = 0; i < 50; ++i) write("up");
  ASSERT_TRUE(sink->Flush(std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(sink->dropped(), 0u);

  // 2. Server stopped for a while: lines buffer up to the limit, the rest are dropped.
  ASSERT_EQ(std::system(stop_cmd.c_str()), 0) << stop_cmd;
  for (int i = 0; i < 1000; ++i) {
    write("down");
    if (i % 100 == 0) std::this_thread::sleep_for(100ms);  // let the sink retry meanwhile
  }
  const auto dropped_while_down = sink->dropped();
  EXPECT_GT(dropped_while_down, 0u) << "the buffer limit was never reached";
  EXPECT_LT(dropped_while_down, 1000u);
  EXPECT_FALSE(sink->Flush(std::chrono::steady_clock::now() + 300ms));

  // 3. Server back: the backlog drains in order, new lines flow.
  ASSERT_EQ(std::system(start_cmd.c_str()), 0) << start_cmd;
  ASSERT_TRUE(sink->Flush(std::chrono::steady_clock::now() + 30s)) << "backlog not delivered";
  for (int i = 0; i < 20; ++i) write("back");
  ASSERT_TRUE(sink->Flush(std::chrono::steady_clock::now() + 10s));
  sink->Stop(std::chrono::steady_clock::now() + 5s);

  EXPECT_EQ(accepted.size() + sink->dropped(), static_cast<std::size_t>(seq));
  EXPECT_EQ(testing::SampleValue(*o.registry, "tfws_log_lines_dropped_total", {{"sink", "loki"}}),
            static_cast<double>(sink->dropped()));

  // Everything accepted is queryable (VictoriaLogs makes new data searchable within seconds).
  std::vector<nlohmann::json> rows;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  do {
    rows = LogsQl(PortOf(base), "7", "test_run:" + run + " | sort by (_time)");
    if (rows.size() >= accepted.size()) break;
    std::this_thread::sleep_for(500ms);
  } while (std::chrono::steady_clock::now() < deadline);

  ASSERT_EQ(rows.size(), accepted.size()) << "lines lost or duplicated";
  std::vector<int> got;
  for (const auto& r : rows) {
    got.push_back(std::stoi(r.at("seq").get<std::string>()));
    EXPECT_EQ(r.at("app"), "tfws-operator");
    EXPECT_EQ(r.at("level"), "info");
    EXPECT_EQ(r.at("namespace"), "team-a");
    EXPECT_EQ(r.at("workspace"), "ws-1");
    EXPECT_EQ(r.at("logger"), "reconciler");
    EXPECT_THAT(r.at("_msg").get<std::string>(), ::testing::StartsWith("reconciled ("));
    EXPECT_THAT(r.at("_stream").get<std::string>(), ::testing::HasSubstr("workspace=\"ws-1\""));
  }
  EXPECT_EQ(got, std::vector<int>(accepted.begin(), accepted.end())) << "order or content differs";
  // The tenant header was honoured: the default tenant sees none of it.
  EXPECT_TRUE(LogsQl(PortOf(base), "0", "test_run:" + run).empty());
  RecordProperty("accepted", static_cast<int>(accepted.size()));
  RecordProperty("dropped", static_cast<int>(sink->dropped()));
  std::cout << "accepted " << accepted.size() << " lines, dropped " << sink->dropped()
            << " past the buffer limit, all accepted lines found via LogsQL\n";
}

}  // namespace
}  // namespace tfws::observe
