// kubectl tfws describe NAME: status, conditions and Events in plain words.
#include <algorithm>
#include <chrono>

#include "command.h"
#include "errors.h"
#include "session.h"
#include "table.h"
#include "workspace_status.h"

namespace tfws::plugin {

namespace {

// Core v1 Events: their fieldSelector involvedObject.name finds both the
// workspace's and its Pod's events (the Pod has the workspace's name).
const kube::Resource kCoreEvents{"", "v1", "events", "Event", true};

std::string EventTime(const nlohmann::json& e) {
  for (const char* key : {"lastTimestamp", "eventTime", "firstTimestamp"}) {
    if (e.contains(key) && e[key].is_string() && !e[key].get<std::string>().empty()) return e[key];
  }
  return e["metadata"].value("creationTimestamp", "");
}

void Field(std::ostream& out, const std::string& label, const std::string& value) {
  out << label << ":" << std::string(label.size() < 13 ? 13 - label.size() : 1, ' ') << (value.empty() ? "-" : value)
      << "\n";
}

int Run(const Invocation& inv) {
  const auto name = RequireName(inv.args, "describe");
  auto session = Session::Connect(inv.args);
  const auto ws = GetWorkspace(session, name);
  const auto status = ws.value("status", nlohmann::json::object());
  const auto now = std::chrono::system_clock::now();
  auto& out = inv.out;

  Field(out, "Name", name);
  Field(out, "Namespace", session.ns());
  Field(out, "Owner", OwnerOf(ws));
  Field(out, "Phase", PhaseOf(ws));
  Field(out, "Message", status.value("message", ""));
  Field(out, "URL", status.value("url", ""));
  Field(out, "GPUs", GpusOf(ws));
  Field(out, "Node", status.value("nodeName", ""));
  Field(out, "Pod", status.value("podName", ""));
  Field(out, "Started", status.value("startedAt", ""));
  Field(out, "Image", ws["spec"].value("image", "(the operator's default image)"));
  const std::string ssh_unavailable = SshUnavailableReason(ws);
  Field(out, "SSH", !ws.value("/spec/ssh/enabled"_json_pointer, false) ? "disabled (create with --ssh-key FILE to enable)"
                    : !ssh_unavailable.empty()                         ? "unavailable: " + ssh_unavailable
                                                                       : "enabled (kubectl tfws ssh " + name + ")");

  out << "\nConditions:\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : status.value("conditions", nlohmann::json::array())) {
    rows.push_back({"  " + c.value("type", ""), c.value("status", ""), c.value("reason", ""),
                    ShortAge(c.value("lastTransitionTime", ""), now), c.value("message", "")});
  }
  if (rows.empty()) {
    out << "  (none yet: the operator has not reconciled this workspace; is it running?)\n";
  } else {
    PrintTable(out, {"  TYPE", "STATUS", "REASON", "AGE", "MESSAGE"}, rows);
  }

  out << "\nEvents:\n";
  nlohmann::json events;
  try {
    kube::ListOptions options;
    options.field_selector = "involvedObject.name=" + name;
    events = session.client().ListAll(kCoreEvents, session.ns(), options)["items"];
  } catch (const kube::ApiError& e) {
    out << "  (cannot list events: " << e.message() << ")\n";
    return 0;
  }
  std::vector<nlohmann::json> sorted(events.begin(), events.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const nlohmann::json& a, const nlohmann::json& b) { return EventTime(a) < EventTime(b); });
  rows.clear();
  for (const auto& e : sorted) {
    const auto& obj = e.value("involvedObject", nlohmann::json::object());
    const int count = e.value("count", 1);
    rows.push_back({"  " + ShortAge(EventTime(e), now), e.value("type", ""), e.value("reason", ""),
                    obj.value("kind", "") + "/" + obj.value("name", ""),
                    e.value("message", "") + (count > 1 ? " (x" + std::to_string(count) + ")" : "")});
  }
  if (rows.empty()) {
    out << "  (none)\n";
  } else {
    PrintTable(out, {"  LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"}, rows);
  }
  return 0;
}

}  // namespace

Command DescribeCommand() {
  return {"describe", "Show a workspace's status, conditions and events in plain words", "kubectl tfws describe NAME",
          "Example:\n  kubectl tfws describe alice-resnet\n", {}, Run};
}

}  // namespace tfws::plugin
