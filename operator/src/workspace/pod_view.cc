#include "workspace/pod_view.h"

namespace tfws::workspace {

namespace {
const nlohmann::json* PodCondition(const nlohmann::json& pod, const char* type) {
  const auto status = pod.find("status");
  if (status == pod.end() || !status->is_object()) return nullptr;
  const auto conditions = status->find("conditions");
  if (conditions == status->end() || !conditions->is_array()) return nullptr;
  for (const auto& c : *conditions) {
    if (c.value("type", "") == type) return &c;
  }
  return nullptr;
}
}  // namespace

std::string ProgressDeadlineStart(const PodView& pod) {
  if (pod.gated_on_claims) return "";
  return pod.claims_bound_at.empty() ? pod.created_at : pod.claims_bound_at;
}

PodView ViewPod(const nlohmann::json* pod) {
  PodView v;
  if (pod == nullptr || !pod->is_object()) return v;
  const auto& p = *pod;
  v.exists = true;
  const auto& meta = p.value("metadata", nlohmann::json::object());
  const auto& spec = p.value("spec", nlohmann::json::object());
  const auto& status = p.value("status", nlohmann::json::object());
  v.terminating = meta.contains("deletionTimestamp") && !meta["deletionTimestamp"].is_null();
  v.created_at = meta.value("creationTimestamp", "");
  v.claims_bound_at = meta.value("annotations", nlohmann::json::object()).value(kClaimsBoundAtAnnotation, "");
  v.node = spec.value("nodeName", "");
  v.phase = status.value("phase", "Pending");
  v.started_at = status.value("startTime", "");
  v.ip = status.value("podIP", "");
  v.failed = v.phase == "Failed" || v.phase == "Succeeded";

  for (const auto& gate : spec.value("schedulingGates", nlohmann::json::array())) {
    if (gate.is_object() && gate.value("name", "") == kClaimsBoundGate) v.gated_on_claims = true;
  }
  if (const auto* c = PodCondition(p, "PodScheduled")) {
    v.scheduled = c->value("status", "") == "True";
    if (!v.scheduled) {
      v.unschedulable = c->value("reason", "") == "Unschedulable";
      v.schedule_message = c->value("message", "");
      v.waiting_for_claims =
          v.unschedulable && v.schedule_message.find("unbound immediate PersistentVolumeClaims") != std::string::npos;
    }
  } else {
    v.scheduled = !v.node.empty();
  }
  if (const auto* c = PodCondition(p, "Ready")) {
    v.ready = c->value("status", "") == "True";
    if (v.ready) v.ready_since = c->value("lastTransitionTime", "");
  }
  for (const auto& cs : status.value("containerStatuses", nlohmann::json::array())) {
    if (cs.value("name", "") != "workspace") continue;
    v.restart_count = cs.value("restartCount", 0);
    const auto& state = cs.value("state", nlohmann::json::object());
    if (state.contains("waiting")) {
      const auto& w = state["waiting"];
      const std::string reason = w.value("reason", "");
      if (reason != "ContainerCreating" && reason != "PodInitializing" && !reason.empty()) {
        v.waiting_reason = reason;
        v.waiting_message = w.value("message", "");
      }
    }
  }
  return v;
}

}  // namespace tfws::workspace
