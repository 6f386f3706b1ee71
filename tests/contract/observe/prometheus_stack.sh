# Starts (and stops) the observability test stack on loopback; sourced by
# tests/contract/prometheus_queries.sh and hack/render-dashboard (after observe/lib.sh).
#
#   stack_start WORKDIR     starts, in order:
#     - the operator metrics: $TFWS_OPERATOR_METRICS_URL if set (an operator you run yourself,
#       e.g. http://127.0.0.1:18080/metrics from hack/demo), else the real tfws-operator against
#       testenv with the examples applied (observe/operator_in_testenv.sh)
#     - the fake DCGM exporter (GPU series for every GPU workspace Pod the operator reports)
#     - Debian's prometheus scraping both every second, with the chart's alert rules loaded:
#         job tfws-operator         the operator
#         job dcgm-exported-labels  honor_labels: false + target labels pod/namespace, so the
#                                   workload's labels become exported_pod/exported_namespace
#         job dcgm-honor-labels     honor_labels: true (pod/namespace kept)
#     and sets PROM_URL, OPERATOR_METRICS_URL (and OPERATOR_GPU_WORKSPACES when it started the
#     operator).
#   stack_stop              stops what stack_start started (only those processes, by pid) and
#                           deletes the namespaces it created.
source "$OBSERVE_DIR/operator_in_testenv.sh"
STACK_PIDS=()
STACK_DIR=""

stack_start() {
  STACK_DIR=$1
  mkdir -p "$STACK_DIR"
  if [[ -n ${TFWS_OPERATOR_METRICS_URL:-} ]]; then
    OPERATOR_METRICS_URL=$TFWS_OPERATOR_METRICS_URL
  else
    operator_start "$STACK_DIR" || return 1
  fi
  "$PY" "$OBSERVE_DIR/fake_dcgm_exporter.py" --operator-metrics-url "$OPERATOR_METRICS_URL" \
    --port-file "$STACK_DIR/dcgm.port" >"$STACK_DIR/dcgm.log" 2>&1 &
  STACK_PIDS+=($!)
  _stack_wait_file "$STACK_DIR/dcgm.port" 30 || { echo "FAIL fake DCGM exporter did not start"; return 1; }
  local dcgm=127.0.0.1:$(cat "$STACK_DIR/dcgm.port")

  local op_hostport op_path
  op_hostport=$(sed -E 's#^https?://([^/]+).*#\1#' <<<"$OPERATOR_METRICS_URL")
  op_path=/$(sed -E 's#^https?://[^/]+/?##' <<<"$OPERATOR_METRICS_URL")
  local prom_port
  prom_port=$(free_port)
  cat >"$STACK_DIR/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
$(for f in "$CHART"/rules/*.yaml; do echo "  - $f"; done)
scrape_configs:
  - job_name: tfws-operator
    metrics_path: $op_path
    static_configs:
      - targets: ["$op_hostport"]
  - job_name: dcgm-exported-labels
    honor_labels: false
    params: {shard: ["0"], shards: ["2"]}
    static_configs:
      - targets: ["$dcgm"]
        labels: {namespace: gpu-operator, pod: dcgm-exporter-x7k2p, container: exporter}
  - job_name: dcgm-honor-labels
    honor_labels: true
    params: {shard: ["1"], shards: ["2"]}
    static_configs:
      - targets: ["$dcgm"]
YAML
  prometheus --config.file="$STACK_DIR/prometheus.yml" --storage.tsdb.path="$STACK_DIR/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$STACK_DIR/prometheus.log" 2>&1 &
  STACK_PIDS+=($!)
  PROM_URL=http://127.0.0.1:$prom_port
  wait_http "$PROM_URL/-/ready" 60 || { echo "FAIL prometheus did not become ready"; tail "$STACK_DIR/prometheus.log"; return 1; }
}

stack_stop() {
  local pid
  for pid in "${STACK_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${STACK_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  STACK_PIDS=()
  operator_stop
}

_stack_wait_file() {
  local deadline=$((SECONDS + $2))
  until [[ -s $1 ]]; do ((SECONDS < deadline)) || return 1; sleep 0.2; done
}
