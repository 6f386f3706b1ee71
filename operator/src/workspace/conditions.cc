#include "workspace/conditions.h"

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

}  // namespace tfws::workspace
