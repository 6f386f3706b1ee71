// Runs the operator until SIGTERM/SIGINT: builds the client, metrics, health
// endpoints, log sinks and the TFWorkspace controller, and (with leader
// election) reconciles only while holding the Lease. Returns the exit code.
#pragma once

#include <string>
#include <vector>

#include "workspace/operator_config.h"

namespace tfws {

struct OperatorRuntimeOptions {
  std::string kubeconfig;
  std::string context;
  std::vector<std::string> namespaces;  // empty = all
  int workers = 4;
  std::string metrics_bind_address = ":8080";  // "0" = off
  std::string health_bind_address = ":8081";   // "0" = off
  bool leader_elect = false;
  std::string leader_election_namespace;
  std::string leader_election_id = "tfws-operator";
  std::string loki_url;
  std::string loki_tenant;
  std::string loki_labels;
  double qps = 20;
  int burst = 30;
  bool qps_until_flow_control = true;  // --kube-api-qps=auto (kube::ClientOptions)
  workspace::OperatorConfig config;
};

int RunOperator(const OperatorRuntimeOptions& options);

}  // namespace tfws
