// kubectl tfws create NAME: build the TFWorkspace from flags, apply it
// server-side, and follow it Pending -> Scheduled -> Running.
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "command.h"
#include "errors.h"
#include "manifest_builder.h"
#include "session.h"
#include "workspace/manifest.h"
#include "workspace_status.h"

namespace tfws::plugin {

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("--ssh-key " + path + ": cannot read the file (give your public key, e.g. ~/.ssh/id_ed25519.pub)");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

WorkspaceRequest RequestFrom(const ParsedArgs& args) {
  WorkspaceRequest r;
  if (args.positional.size() != 1) throw UsageError("one workspace NAME expected, e.g. kubectl tfws create alice-resnet");
  r.name = args.positional[0];
  r.gpus = args.Int("gpus", 0, 16);
  r.gpu_product = args.Get("gpu-product");
  r.mig_profile = args.Get("mig");
  r.cpu = args.Get("cpu");
  r.memory = args.Get("memory");
  r.size = args.Get("size");
  r.datasets = args.All("dataset");
  for (const auto& path : args.All("ssh-key")) {
    for (auto& key : ParsePublicKeys(ReadFile(path), path)) r.ssh_keys.push_back(std::move(key));
  }
  r.class_name = args.Get("class");
  r.image = args.Get("image");
  return r;
}

// The one-word stage of the progress line.
std::string Stage(const nlohmann::json& ws) {
  const auto phase = PhaseOf(ws);
  if (phase == "Running" || phase == "Stopped" || phase == "Failed") return phase;
  if (ConditionIsTrue(ws, "Scheduled")) return "Scheduled";
  return "Pending";
}

std::string StageDetail(const nlohmann::json& ws, const std::string& stage) {
  const auto& status = ws.contains("status") ? ws["status"] : nlohmann::json::object();
  if (stage == "Running") return status.value("url", "");
  if (stage == "Scheduled") return "on node " + status.value("nodeName", std::string("?"));
  if (!ws.contains("status")) return "waiting for the tfws operator to report on it";
  return BlockingMessage(ws);
}

int WaitUntilRunning(Session& session, const std::string& name, std::chrono::seconds timeout, std::ostream& out) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_line;
  nlohmann::json ws;
  while (true) {
    ws = GetWorkspace(session, name);
    const auto stage = Stage(ws);
    const auto detail = StageDetail(ws, stage);
    const auto line = detail.empty() ? stage : stage + std::string(stage.size() < 10 ? 10 - stage.size() : 1, ' ') + detail;
    if (line != last_line) {
      out << "  " << line << std::endl;
      last_line = line;
    }
    if (stage == "Running" || stage == "Stopped") break;
    if (stage == "Failed") {
      throw PluginError("tfworkspace \"" + name + "\" failed: " + BlockingMessage(ws) + "; kubectl tfws describe " +
                        name + " shows conditions and events");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw PluginError("tfworkspace \"" + name + "\" is not Running after " + std::to_string(timeout.count()) +
                        "s (" + stage + ": " + StageDetail(ws, stage) + "); it stays requested: kubectl tfws describe " +
                        name + " shows why, kubectl tfws stop " + name + " frees its place");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  out << "Jupyter token: kubectl tfws token " << name << "; status and events: kubectl tfws describe " << name << "\n";
  return 0;
}

int Run(const Invocation& inv) {
  const auto& args = inv.args;
  auto request = RequestFrom(args);
  const auto output = args.Get("output");
  if (!output.empty() && output != "yaml" && output != "json") {
    throw UsageError("-o: invalid value \"" + output + "\": must be yaml or json");
  }
  if (args.Bool("dry-run")) {
    // Namespace only when given: the manifest stays applicable anywhere (kubectl apply -n).
    request.namespace_ = args.Get("namespace");
    const auto manifest = BuildWorkspaceManifest(request);
    if (output == "json") {
      inv.out << manifest.dump(2) << "\n";
    } else {
      inv.out << workspace::ToYaml(manifest) << "\n";
    }
    return 0;
  }
  auto session = Session::Connect(args);
  request.namespace_ = session.ns();
  request.owner = OwnerFromUsername(session.Username());
  const auto manifest = BuildWorkspaceManifest(request);
  kube::PatchOptions apply;
  apply.field_manager = kFieldManager;
  nlohmann::json applied;
  try {
    applied = session.client().Apply(kube::resources::kTFWorkspaces, session.ns(), manifest, apply);
  } catch (const kube::ApiError& e) {
    // Server-side apply refuses fields the CRD does not declare (nothing is written).
    if (!request.class_name.empty() && e.message().find(".spec.className: field not declared") != std::string::npos) {
      throw PluginError("--class: this cluster's TFWorkspace CRD has no spec.className (its tfws version predates "
                        "workspace classes); create without --class or ask your platform team to upgrade the CRD");
    }
    throw PluginError(ExplainApiError(e, "create", "tfworkspace \"" + request.name + "\"", session.ns()));
  }
  if (output == "json") {
    inv.out << applied.dump(2) << "\n";
  } else if (output == "yaml") {
    inv.out << workspace::ToYaml(applied) << "\n";
  } else {
    inv.out << "tfworkspace/" << request.name << " applied in namespace " << session.ns() << "\n";
  }
  if (args.Get("wait", "true") == "false") return 0;
  const auto timeout = ParseDuration(args.Get("timeout", "5m"), "timeout");
  return WaitUntilRunning(session, request.name, timeout, output.empty() ? inv.out : inv.err);
}

}  // namespace

Command CreateCommand() {
  return {
      "create",
      "Create a workspace (or update it: create is a server-side apply) and wait until it runs",
      "kubectl tfws create NAME [--gpus N] [--gpu-product P | --mig 1g.10gb] [--cpu Q] [--memory Q] [--size Q]\n"
      "      [--dataset NAME=CLAIM ...] [--ssh-key FILE ...] [--class C] [--image I] [--dry-run -o yaml]",
      "Fields you do not set keep the defaults of the TFWorkspace CRD and of your platform's\n"
      "operator configuration (image, storage class, 10Gi home volume). spec.owner is set to\n"
      "your Kubernetes user name. The command waits, printing each stage\n"
      "(Pending -> Scheduled -> Running) and what blocks the workspace, until it runs.\n"
      "\nExamples:\n"
      "  kubectl tfws create alice-resnet --gpus 2 --gpu-product NVIDIA-A100-SXM4-80GB --memory 64Gi\n"
      "  kubectl tfws create alice-mig --mig 1g.10gb --ssh-key ~/.ssh/id_ed25519.pub\n"
      "  kubectl tfws create alice-data --dataset imagenet=imagenet-pvc --size 50Gi\n"
      "  kubectl tfws create alice-cpu --cpu 2 --dry-run -o yaml > alice-cpu.yaml\n",
      {
          {"gpus", 0, true, false, "N", "GPUs (or MIG slices) to request, 0-16 (default 0; 1 with --mig/--gpu-product)"},
          {"gpu-product", 0, true, false, "P", "only nodes with this GPU model, e.g. NVIDIA-A100-SXM4-80GB (kubectl tfws gpus)"},
          {"mig", 0, true, false, "PROFILE", "a MIG slice instead of whole GPUs, e.g. 1g.10gb"},
          {"cpu", 0, true, false, "Q", "CPU request, e.g. 4 or 500m"},
          {"memory", 0, true, false, "Q", "memory request and limit, e.g. 32Gi"},
          {"size", 0, true, false, "Q", "size of the home volume /tf, e.g. 50Gi (default 10Gi)"},
          {"dataset", 0, true, true, "NAME=CLAIM", "mount the existing PVC CLAIM read-only at /data/NAME"},
          {"ssh-key", 0, true, true, "FILE", "enable SSH with the public keys in FILE (e.g. ~/.ssh/id_ed25519.pub)"},
          {"class", 0, true, false, "C", "TFWorkspaceClass to use (your platform's presets)"},
          {"image", 0, true, false, "I", "container image (default: the operator's defaultImage)"},
          {"dry-run", 0, false, false, "", "print the manifest, send nothing"},
          {"output", 'o', true, false, "FORMAT", "yaml or json: print the manifest (with --dry-run) or the applied object"},
          {"wait", 0, false, false, "", "wait until Running (default; --wait=false returns at once)"},
          {"timeout", 0, true, false, "DURATION", "how long to wait, e.g. 10m (default 5m)"},
      },
      Run,
  };
}

}  // namespace tfws::plugin
