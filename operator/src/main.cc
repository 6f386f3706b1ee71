// tfws-operator: flags, wiring, signals.
//
//   tfws-operator [flags]                 run the controller
//   tfws-operator render -f ws.yaml [--class class.yaml]
//                                         print the child objects of a workspace (no cluster needed),
//                                         resolved against the TFWorkspaceClasses given (render_offline.h)
//
// See docs/operator-config.md for every flag.
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "kube/api_error.h"
#include "kube/client_factory.h"
#include "kube/config_loader.h"
#include "observe/health_server.h"
#include "observe/log.h"
#include "observe/loki_sink.h"
#include "observe/prometheus_metrics.h"
#include "observe/workspace_metrics.h"
#include "operator_runtime.h"
#include "runtime/malloc_tuning.h"
#include "workspace/controller.h"
#include "workspace/manifest.h"
#include "workspace/operator_config.h"
#include "workspace/render_offline.h"
#include "workspace/workspace_types.h"

namespace {

using tfws::observe::Logger;

struct Flag {
  std::string value;
  std::string help;
  bool boolean = false;
};

// --name=value / --name value / --bool-flag. Unknown flags are an error that names them.
class Flags {
 public:
  void Define(const std::string& name, std::string def, std::string help, bool boolean = false) {
    flags_[name] = {std::move(def), std::move(help), boolean};
    order_.push_back(name);
  }
  // Returns the positional arguments.
  std::vector<std::string> Parse(int argc, char** argv) {
    std::vector<std::string> positional;
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      if (arg == "-f") arg = "--filename";
      if (arg.rfind("--", 0) != 0) {
        positional.push_back(arg);
        continue;
      }
      std::string name = arg.substr(2), value;
      bool has_value = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
        has_value = true;
      }
      if (name == "help") throw std::invalid_argument("");
      auto it = flags_.find(name);
      if (it == flags_.end()) throw std::invalid_argument("unknown flag --" + name);
      if (!has_value) {
        if (it->second.boolean) {
          value = "true";
        } else if (i + 1 < argc) {
          value = argv[++i];
        } else {
          throw std::invalid_argument("flag --" + name + " needs a value");
        }
      }
      if (it->second.boolean && value != "true" && value != "false") {
        throw std::invalid_argument("flag --" + name + ": invalid value \"" + value + "\": must be true or false");
      }
      it->second.value = value;
    }
    return positional;
  }
  const std::string& Get(const std::string& name) const { return flags_.at(name).value; }
  bool Bool(const std::string& name) const { return Get(name) == "true"; }
  int Int(const std::string& name) const {
    try {
      return std::stoi(Get(name));
    } catch (const std::exception&) {
      throw std::invalid_argument("flag --" + name + ": invalid value \"" + Get(name) + "\": must be an integer");
    }
  }
  double Double(const std::string& name) const {
    try {
      return std::stod(Get(name));
    } catch (const std::exception&) {
      throw std::invalid_argument("flag --" + name + ": invalid value \"" + Get(name) + "\": must be a number");
    }
  }
  std::string Usage() const {
    std::ostringstream out;
    out << "Usage: tfws-operator [flags]\n       tfws-operator render -f workspace.yaml [--class class.yaml] [--config F]\n\nFlags:\n";
    for (const auto& name : order_) {
      const auto& f = flags_.at(name);
      out << "  --" << name << (f.boolean ? "" : " value") << "\n      " << f.help
          << (f.value.empty() ? "" : " (default \"" + f.value + "\")") << "\n";
    }
    return out.str();
  }

 private:
  std::map<std::string, Flag> flags_;
  std::vector<std::string> order_;
};

void DefineFlags(Flags& flags) {
  flags.Define("kubeconfig", "", "path to a kubeconfig; default: $KUBECONFIG, in-cluster, ~/.kube/config");
  flags.Define("context", "", "kubeconfig context to use instead of current-context");
  flags.Define("watch-namespaces", "", "comma-separated namespaces to watch; empty = all namespaces");
  flags.Define("workers", "4", "concurrent reconciles");
  flags.Define("metrics-bind-address", ":8080", "address of the Prometheus /metrics endpoint; 0 = off");
  flags.Define("health-probe-bind-address", ":8081", "address of /healthz and /readyz; 0 = off");
  flags.Define("leader-elect", "false", "elect a leader on a Lease so only one replica reconciles", true);
  flags.Define("leader-election-namespace", "", "namespace of the Lease; default: the operator's namespace");
  flags.Define("leader-election-id", "tfws-operator", "name of the Lease");
  flags.Define("log-format", "json", "json (one object per line) or text");
  flags.Define("log-level", "info", "debug, info, warn or error");
  flags.Define("loki-url", "", "Loki push URL (e.g. http://loki:3100/loki/api/v1/push); empty = no push");
  flags.Define("loki-tenant", "", "X-Scope-OrgID sent to Loki");
  flags.Define("loki-labels", "", "static labels for Loki streams, k=v,k=v");
  flags.Define("config", "", "OperatorConfig YAML (docs/operator-config.md); empty = built-in defaults");
  flags.Define("kube-api-qps", "auto",
               "client-side rate limit to the API server: requests/s, 0 = off, or auto = 20/s until the server "
               "shows API Priority and Fairness, then none (the server paces the operator; docs/client.md)");
  flags.Define("kube-api-burst", "30", "burst of the client-side rate limit");
  flags.Define("filename", "", "render: the TFWorkspace manifest (-f); TFWorkspaceClasses in it apply too");
  flags.Define("class", "", "render: a file of TFWorkspaceClasses, as in the cluster (default class included)");
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

tfws::workspace::OperatorConfig LoadConfig(const Flags& flags) {
  auto config = flags.Get("config").empty() ? tfws::workspace::DefaultOperatorConfig()
                                            : tfws::workspace::LoadOperatorConfigFile(flags.Get("config"));
  if (config.operator_namespace.empty()) {
    if (const char* ns = std::getenv("POD_NAMESPACE")) config.operator_namespace = ns;
  }
  return config;
}

int Render(const Flags& flags) {
  if (flags.Get("filename").empty()) throw std::invalid_argument("render: -f workspace.yaml is required");
  auto manifests = tfws::workspace::ReadManifestFile(flags.Get("filename"));
  if (!flags.Get("class").empty()) {
    for (auto& doc : tfws::workspace::ReadManifestFile(flags.Get("class"))) manifests.push_back(std::move(doc));
  }
  bool first = true;
  for (const auto& object : tfws::workspace::RenderOffline(manifests, LoadConfig(flags))) {
    if (!first) std::cout << "---\n";
    first = false;
    std::cout << tfws::workspace::ToYaml(object) << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  tfws::runtime::CapMallocArenas(2);  // before any thread starts (malloc_tuning.h)
  Flags flags;
  DefineFlags(flags);
  std::vector<std::string> positional;
  try {
    positional = flags.Parse(argc, argv);
    tfws::observe::ConfigureLogging(
        {tfws::observe::ParseLogFormat(flags.Get("log-format")), tfws::observe::ParseLogLevel(flags.Get("log-level"))});
    if (!positional.empty() && positional[0] == "render") return Render(flags);
    if (!positional.empty()) throw std::invalid_argument("unknown command \"" + positional[0] + "\"");
  } catch (const std::invalid_argument& e) {
    if (std::string(e.what()).empty()) {
      std::cout << flags.Usage();
      return 0;
    }
    std::cerr << "tfws-operator: " << e.what() << "\n\n" << flags.Usage();
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "tfws-operator: " << e.what() << "\n";
    return 1;
  }

  Logger log("main");
  try {
    tfws::OperatorRuntimeOptions options;
    options.kubeconfig = flags.Get("kubeconfig");
    options.context = flags.Get("context");
    options.namespaces = SplitList(flags.Get("watch-namespaces"));
    options.workers = flags.Int("workers");
    options.metrics_bind_address = flags.Get("metrics-bind-address");
    options.health_bind_address = flags.Get("health-probe-bind-address");
    options.leader_elect = flags.Bool("leader-elect");
    options.leader_election_namespace = flags.Get("leader-election-namespace");
    options.leader_election_id = flags.Get("leader-election-id");
    options.loki_url = flags.Get("loki-url");
    options.loki_tenant = flags.Get("loki-tenant");
    options.loki_labels = flags.Get("loki-labels");
    options.qps_until_flow_control = flags.Get("kube-api-qps") == "auto";
    if (!options.qps_until_flow_control) {
      try {
        options.qps = flags.Double("kube-api-qps");
      } catch (const std::invalid_argument&) {
        throw std::invalid_argument("flag --kube-api-qps: invalid value \"" + flags.Get("kube-api-qps") +
                                    "\": must be requests per second, 0 (off) or auto");
      }
    }
    options.burst = flags.Int("kube-api-burst");
    options.config = LoadConfig(flags);
    return tfws::RunOperator(options);
  } catch (const std::exception& e) {
    log.Error("tfws-operator cannot start", {{"error", e.what()}});
    return 1;
  }
}
