// kubectl tfws list: my workspaces (owner = the SelfSubjectReview user), with
// phase, GPUs, node, age and URL. No idle time: the operator does not record
// Jupyter activity in status (it asks Jupyter only to cull, and writing every
// activity would turn each busy workspace into a stream of status writes).
#include <chrono>

#include "command.h"
#include "errors.h"
#include "manifest_builder.h"
#include "session.h"
#include "table.h"
#include "workspace_status.h"

namespace tfws::plugin {

namespace {

int Run(const Invocation& inv) {
  const auto& args = inv.args;
  if (!args.positional.empty()) throw UsageError("list takes no NAME (kubectl tfws describe NAME shows one)");
  auto session = Session::Connect(args);
  const bool all_namespaces = args.Bool("all-namespaces");
  const bool everyone = args.Bool("all-owners");
  const std::string me = everyone ? "" : OwnerFromUsername(session.Username());
  const std::string ns = all_namespaces ? "" : session.ns();
  nlohmann::json list;
  try {
    list = session.client().ListAll(kube::resources::kTFWorkspaces, ns);
  } catch (const kube::ApiError& e) {
    throw PluginError(ExplainApiError(e, "list", "tfworkspaces", ns));
  }
  const auto now = std::chrono::system_clock::now();
  std::vector<std::vector<std::string>> rows;
  for (const auto& ws : list["items"]) {
    if (!everyone && OwnerOf(ws) != me) continue;
    const auto& status = ws.contains("status") ? ws["status"] : nlohmann::json::object();
    std::vector<std::string> row;
    if (all_namespaces) row.push_back(ws["metadata"].value("namespace", ""));
    row.push_back(ws["metadata"].value("name", ""));
    if (everyone) row.push_back(OwnerOf(ws).empty() ? "-" : OwnerOf(ws));
    row.push_back(PhaseOf(ws));
    row.push_back(GpusOf(ws));
    row.push_back(status.value("nodeName", std::string("-")));
    row.push_back(ShortAge(ws["metadata"].value("creationTimestamp", std::string()), now));
    row.push_back(status.value("url", std::string("-")));
    rows.push_back(std::move(row));
  }
  if (rows.empty()) {
    inv.err << "No workspaces" << (everyone ? "" : " owned by " + me)
            << (all_namespaces ? " in any namespace" : " in namespace " + session.ns())
            << ". Create one with: kubectl tfws create NAME\n";
    return 0;
  }
  std::vector<std::string> headers;
  if (all_namespaces) headers.push_back("NAMESPACE");
  headers.push_back("NAME");
  if (everyone) headers.push_back("OWNER");
  for (const char* h : {"PHASE", "GPUS", "NODE", "AGE", "URL"}) headers.push_back(h);
  PrintTable(inv.out, headers, rows);
  return 0;
}

}  // namespace

Command ListCommand() {
  return {
      "list",
      "List your workspaces: phase, GPUs, node, age, URL",
      "kubectl tfws list [-A] [--all-owners]",
      "Yours are those whose spec.owner is your Kubernetes user name (as a SelfSubjectReview\n"
      "reports it; kubectl tfws create sets it). AGE is the time since the workspace was created.\n"
      "There is no idle column: the operator asks Jupyter about activity only to cull idle\n"
      "workspaces (spec.culling) and does not record it in status.\n"
      "\nExamples:\n"
      "  kubectl tfws list\n"
      "  kubectl tfws list -A --all-owners\n",
      {
          {"all-namespaces", 'A', false, false, "", "list across all namespaces"},
          {"all-owners", 0, false, false, "", "include workspaces of other owners (adds an OWNER column)"},
      },
      Run,
  };
}

}  // namespace tfws::plugin
