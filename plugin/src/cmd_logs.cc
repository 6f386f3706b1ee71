// kubectl tfws logs NAME [-f]: the workspace container's log (Jupyter, sshd).
#include "command.h"
#include "errors.h"
#include "session.h"
#include "workspace/naming.h"
#include "workspace_status.h"

namespace tfws::plugin {

namespace {

int Run(const Invocation& inv) {
  const auto name = RequireName(inv.args, "logs");
  auto session = Session::Connect(inv.args);
  const auto ws = GetWorkspace(session, name);
  const auto pod = ws.value("/status/podName"_json_pointer, std::string());
  if (pod.empty()) {
    throw PluginError("tfworkspace \"" + name + "\" has no Pod (phase " + PhaseOf(ws) + "): " +
                      (PhaseOf(ws) == "Stopped" ? "kubectl tfws start " + name + " runs it again"
                                                : "kubectl tfws describe " + name + " shows what it waits for"));
  }
  const bool follow = inv.args.Bool("follow");
  kube::HttpRequest request;
  request.method = "GET";
  request.path = kube::resources::kPods.Path(session.ns(), pod, "log") + "?container=" + workspace::kContainerName;
  if (follow) request.path += "&follow=true";
  if (const auto tail = inv.args.Int("tail", 0, 1'000'000)) request.path += "&tailLines=" + std::to_string(*tail);
  request.accept = "*/*";
  kube::HttpResponse response;
  if (follow) {
    request.deadline = std::chrono::milliseconds(0);
    response = session.client().transport().Stream(
        request,
        [&](std::string_view chunk) {
          inv.out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
          inv.out.flush();
          return static_cast<bool>(inv.out);
        },
        {});
  } else {
    response = session.client().transport().Send(request);
    if (response.status / 100 == 2) inv.out << response.body;
  }
  if (response.status / 100 != 2) {
    const auto error = kube::ApiErrorFromResponse(response.status, response.body, response.headers);
    throw PluginError(ExplainApiError(error, "read the log of", "pod \"" + pod + "\" (tfworkspace \"" + name + "\")",
                                      session.ns()));
  }
  return 0;
}

}  // namespace

Command LogsCommand() {
  return {"logs", "Print the log of a workspace (Jupyter and sshd)", "kubectl tfws logs NAME [-f] [--tail N]",
          "Examples:\n  kubectl tfws logs alice-resnet --tail 50\n  kubectl tfws logs alice-resnet -f\n",
          {
              {"follow", 'f', false, false, "", "keep streaming new lines"},
              {"tail", 0, true, false, "N", "only the last N lines"},
          },
          Run};
}

}  // namespace tfws::plugin
