#include "workspace/conditions.h"

#include <cstdio>
#include <ctime>

namespace tfws::workspace {

const Json* FindCondition(const Json& conditions, std::string_view type) {
  if (!conditions.is_array()) return nullptr;
  for (const auto& c : conditions) {
    if (c.is_object() && c.value("type", "") == type) return &c;
  }
  return nullptr;
}

bool IsConditionTrue(const Json& conditions, std::string_view type) {
  const Json* c = FindCondition(conditions, type);
  return c != nullptr && c->value("status", "") == "True";
}

void SetCondition(Json& conditions, const Condition& c, long generation, const std::string& now) {
  if (!conditions.is_array()) conditions = Json::array();
  const std::string status = c.unknown ? "Unknown" : (c.status ? "True" : "False");
  Json next = {{"type", c.type},
               {"status", status},
               {"reason", c.reason.empty() ? std::string("Unknown") : c.reason},
               {"message", c.message},
               {"observedGeneration", generation},
               {"lastTransitionTime", now}};
  for (auto& existing : conditions) {
    if (existing.value("type", "") != c.type) continue;
    if (existing.value("status", "") == status && existing.contains("lastTransitionTime")) {
      next["lastTransitionTime"] = existing["lastTransitionTime"];
    }
    existing = std::move(next);
    return;
  }
  conditions.push_back(std::move(next));
}

std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool ParseRfc3339(std::string_view text, std::chrono::system_clock::time_point& out) {
  std::tm tm{};
  int consumed = 0;
  const std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6) {
    return false;
  }
  std::string_view rest = text.substr(static_cast<size_t>(consumed));
  if (!rest.empty() && rest.front() == '.') {
    rest.remove_prefix(1);
    while (!rest.empty() && rest.front() >= '0' && rest.front() <= '9') rest.remove_prefix(1);
  }
  if (rest != "Z") return false;  // the API server always writes UTC
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  out = std::chrono::system_clock::from_time_t(timegm(&tm));
  return true;
}

}  // namespace tfws::workspace
