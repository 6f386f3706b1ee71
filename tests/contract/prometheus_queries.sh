#!/usr/bin/env bash
# Contract: every PromQL expression of the dashboards and alert rules, evaluated by a real
# Prometheus (Debian package) that scrapes the operator's /metrics and a fake DCGM exporter
# (both DCGM label styles: exported_pod/exported_namespace and pod/namespace).
#   - each expression is accepted; operator- and DCGM-backed panels return data;
#   - the GPU utilisation panel joins DCGM series to every GPU workspace;
#   - the alert rules load in Prometheus and evaluate without errors.
# Operator metrics: by default the real tfws-operator, started here against the running testenv
# with every example applied (observe/operator_in_testenv.sh); or $TFWS_OPERATOR_METRICS_URL.
# With TFWS_RENDER_DASHBOARD_OUT=path.png it also renders the GPU dashboard PNG from this
# Prometheus (hack/render-dashboard), after TFWS_RENDER_DASHBOARD_WAIT seconds of data.
source "$(dirname "${BASH_SOURCE[0]}")/observe/lib.sh"
source "$OBSERVE_DIR/prometheus_stack.sh"
need prometheus prometheus
need "$PY" python3
need curl curl

WORK=$(mktemp -d /tmp/tfws-prometheus.XXXXXX)
VL="$OBSERVE_DIR/victorialogs.sh"
trap 'stack_stop; "$VL" stop "$WORK/victorialogs"; rm -rf "$WORK"' EXIT

# Every workspace's token (from its Secret) vs. every line the operator wrote to stderr and Loki.
no_token_in_logs() {
  local ws tokens
  tokens=$(for ws in ${OPERATOR_WORKSPACES//,/ }; do
    "${KUBECTL[@]}" -n "${ws%/*}" get secret "${ws#*/}-token" -o jsonpath='{.data.token}' 2>/dev/null | base64 -d; echo
  done | grep -v '^$')
  [[ $(wc -l <<<"$tokens") -ge 6 ]] || { echo "expected the tokens of the running workspaces, got $(wc -l <<<"$tokens")"; return 1; }
  curl -fsS "$VL_URL/select/logsql/query" --data-urlencode 'query={app="tfws-operator"}' >"$WORK/pushed.jsonl" || return 1
  echo "$(wc -l <"$WORK/pushed.jsonl") pushed lines, $(wc -l <"$STACK_DIR/operator.log") stderr lines"
  [[ -s $WORK/pushed.jsonl && -s $STACK_DIR/operator.log ]] || { echo "no log lines to search"; return 1; }
  ! grep -F -f <(echo "$tokens") "$WORK/pushed.jsonl" "$STACK_DIR/operator.log"
}

# The operator started here also pushes its logs to a real Loki push-API server (VictoriaLogs).
if [[ -z ${TFWS_OPERATOR_METRICS_URL:-} ]]; then
  VL_URL=http://127.0.0.1:$(free_port)
  check "victoria-logs started for the operator's log push" "$VL" start "$WORK/victorialogs" "${VL_URL##*:}"
  export OPERATOR_LOKI_URL="$VL_URL/insert/loki/api/v1/push?_msg_field=msg"
fi

if stack_start "$WORK"; then ok "prometheus, operator metrics ($OPERATOR_METRICS_URL) and fake DCGM exporter started"; else fail "stack start"; finish; exit 1; fi

"$PY" "$OBSERVE_DIR/promql_exprs.py" >"$WORK/exprs.jsonl"
EXPECT=()
[[ -n ${OPERATOR_GPU_WORKSPACES:-} ]] && EXPECT=(--expect-workspaces "$OPERATOR_GPU_WORKSPACES")
"$PY" "$OBSERVE_DIR/check_queries.py" "$PROM_URL" "$WORK/exprs.jsonl" --wait 120 "${EXPECT[@]}" >"$WORK/check.out" 2>&1 ||
  grep -q '^FAIL ' "$WORK/check.out" || echo "FAIL check_queries.py ended without a verdict: $(tail -3 "$WORK/check.out")" >>"$WORK/check.out"
cat "$WORK/check.out" | grep -v ' passed, .* failed$'
PASSED=$((PASSED + $(grep -c '^ok ' "$WORK/check.out")))
FAILED=$((FAILED + $(grep -c '^FAIL ' "$WORK/check.out")))

check "promtool check metrics is clean on the operator's own scrape" bash -c \
  "out=\$(curl -fsS '$OPERATOR_METRICS_URL' | promtool check metrics 2>&1); rc=\$?; echo \"\$out\"; [[ \$rc -eq 0 && -z \$out ]]"

if [[ -n ${OPERATOR_LOKI_URL:-} ]]; then
  # The dashboard's logs panel finds each workspace's lines in what the operator pushed ...
  "$PY" "$OBSERVE_DIR/check_logs_panel.py" "$CHART/dashboards/gpu-workspaces.json" "$VL_URL" "$OPERATOR_WORKSPACES" >"$WORK/logs.out" 2>&1 ||
    grep -q '^FAIL ' "$WORK/logs.out" || echo "FAIL check_logs_panel.py ended without a verdict: $(tail -3 "$WORK/logs.out")" >>"$WORK/logs.out"
  grep -v ' passed, .* failed$' "$WORK/logs.out"
  PASSED=$((PASSED + $(grep -c '^ok ' "$WORK/logs.out"))); FAILED=$((FAILED + $(grep -c '^FAIL ' "$WORK/logs.out")))
  # ... and no Jupyter token of those workspaces is in any line, pushed or on stderr.
  check "no workspace's Jupyter token appears in the operator's logs (stderr or Loki)" no_token_in_logs
fi

# The rule files load and every rule evaluates cleanly.
check "Prometheus loaded the alert rules and evaluates them without errors" "$PY" - "$PROM_URL" <<'PY'
import json, sys, time, urllib.request
deadline = time.time() + 30
while True:
    groups = json.load(urllib.request.urlopen(sys.argv[1] + "/api/v1/rules"))["data"]["groups"]
    rules = [r for g in groups for r in g["rules"]]
    if rules and all(r.get("lastEvaluation", "").startswith("20") and not r["lastEvaluation"].startswith("0001") for r in rules):
        break
    if time.time() > deadline:
        break
    time.sleep(1)
bad = [f'{r["name"]}: {r.get("health")} {r.get("lastError", "")}' for r in rules if r.get("health") != "ok"]
print(f"{len(rules)} rules, {len(bad)} unhealthy")
for b in bad: print(b)
sys.exit(1 if bad or len(rules) < 6 else 0)
PY

if [[ -n ${TFWS_RENDER_DASHBOARD_OUT:-} ]]; then
  # Something to see: half-way, the stopped example starts and the SSH example is stopped.
  half=$(( ${TFWS_RENDER_DASHBOARD_WAIT:-0} / 2 ))
  sleep "$half"
  if [[ ${#OPERATOR_NAMESPACES[@]} -gt 0 ]]; then
    "${KUBECTL[@]}" -n "${OPERATOR_NAMESPACES[0]}" patch tfws grace --type merge -p '{"spec":{"stopped":false}}' >/dev/null
    "${KUBECTL[@]}" -n "${OPERATOR_NAMESPACES[0]}" patch tfws dave --type merge -p '{"spec":{"stopped":true}}' >/dev/null
  fi
  sleep $(( ${TFWS_RENDER_DASHBOARD_WAIT:-0} - half ))
  check "rendered $TFWS_RENDER_DASHBOARD_OUT" "$ROOT/hack/render-dashboard" --prometheus "$PROM_URL" --out "$TFWS_RENDER_DASHBOARD_OUT"
fi
finish
