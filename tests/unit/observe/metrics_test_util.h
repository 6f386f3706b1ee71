// Test helpers: read samples out of a prometheus::Registry, and a minimal
// blocking HTTP/1.0 GET over loopback (no cpprestsdk in tests of servers).
#pragma once

#include <prometheus/registry.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <map>
#include <optional>
#include <string>

namespace tfws::observe::testing {

using LabelMap = std::map<std::string, std::string>;

// Value of the series `name{labels}` (exact label set), or nullopt if absent.
// Counters/gauges: their value; histograms: sample count.
inline std::optional<double> SampleValue(const prometheus::Registry& registry,
                                         const std::string& name, const LabelMap& labels) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      LabelMap have;
      for (const auto& l : metric.label) have[l.name] = l.value;
      if (have != labels) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter: return metric.counter.value;
        case prometheus::MetricType::Gauge: return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(metric.histogram.sample_count);
        default: return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

// Number of series in family `name`.
inline std::size_t SeriesCount(const prometheus::Registry& registry, const std::string& name) {
  for (const auto& family : registry.Collect()) {
    if (family.name == name) return family.metric.size();
  }
  return 0;
}

struct HttpAnswer {
  int status = 0;
  std::string body;
};

// GET http://127.0.0.1:<port><path>; status 0 when the connection failed.
// extra_headers: "Name: value\r\n" lines.
inline HttpAnswer HttpGet(int port, const std::string& path, const std::string& extra_headers = "") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return {};
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
  if (::send(fd, request.data(), request.size(), 0) < 0) {
    ::close(fd);
    return {};
  }
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<size_t>(n));
  ::close(fd);
  HttpAnswer answer;
  if (response.rfind("HTTP/1.", 0) == 0 && response.size() > 12) {
    answer.status = std::stoi(response.substr(9, 3));
  }
  const auto body = response.find("\r\n\r\n");
  if (body != std::string::npos) answer.body = response.substr(body + 4);
  return answer;
}

}  // namespace tfws::observe::testing
