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
trap 'stack_stop; rm -rf "$WORK"' EXIT

if stack_start "$WORK"; then ok "prometheus, operator metrics ($OPERATOR_METRICS_URL) and fake DCGM exporter started"; else fail "stack start"; finish; exit 1; fi

"$PY" "$OBSERVE_DIR/promql_exprs.py" >"$WORK/exprs.jsonl"
EXPECT=()
[[ -n ${OPERATOR_GPU_WORKSPACES:-} ]] && EXPECT=(--expect-workspaces "$OPERATOR_GPU_WORKSPACES")
if "$PY" "$OBSERVE_DIR/check_queries.py" "$PROM_URL" "$WORK/exprs.jsonl" --wait 120 "${EXPECT[@]}" >"$WORK/check.out"; then
  :
fi
cat "$WORK/check.out" | grep -v ' passed, .* failed$'
PASSED=$((PASSED + $(grep -c '^ok ' "$WORK/check.out")))
FAILED=$((FAILED + $(grep -c '^FAIL ' "$WORK/check.out")))

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
