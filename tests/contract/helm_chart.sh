#!/usr/bin/env bash
# Contract: the tfws-operator chart, checked with the real helm (built by hack/testenv) and the real
# API server (server-side dry-run against testenv).
#  - the chart's crds/ is a byte-identical copy of the top-level crds/ (hack/sync-crd --check)
#  - helm lint --strict passes with the default values and with every option on
#  - helm template renders the expected objects (least-privilege RBAC table, restricted Pod, flags)
#  - the API server accepts every rendered object (kubectl apply --dry-run=server)
#  - every tests/contract/chart/bad-values/*.yaml is refused with its "# expect:" message
#  - a config change changes the Deployment's checksum annotation (rolls the Pods)
source "$(dirname "${BASH_SOURCE[0]}")/chart/lib.sh"

WORK=$(mktemp -d /tmp/tfws-helm-chart.XXXXXX)
ALL_ON=$CHART_TEST_DIR/values-all-on.yaml
RELEASE_NS=tfws-system
# Namespaces of the server-side dry-run; unique names so parallel or repeated runs don't collide.
SUFFIX=$$
DRY_NS=tfws-chart-$SUFFIX
DRY_NAMESPACES=("$DRY_NS" "tfws-chart-$SUFFIX-team-a" "tfws-chart-$SUFFIX-team-b" "tfws-chart-$SUFFIX-leases" "tfws-chart-$SUFFIX-monitoring")
CREATED_STUB_CRDS=()
cleanup() {
  set +e
  if [[ -n ${KUBECONFIG:-} ]]; then
    "$KUBECTL" delete namespace "${DRY_NAMESPACES[@]}" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    for crd in "${CREATED_STUB_CRDS[@]}"; do "$KUBECTL" delete crd "$crd" --ignore-not-found >/dev/null 2>&1 || true; done
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== CRD copy"
if "$ROOT/hack/sync-crd" --check; then ok "charts/tfws-operator/crds/ is byte-identical to crds/"; else fail "chart CRD copy differs from crds/ (run hack/sync-crd)"; fi

echo "== helm lint --strict"
lint() {  # description, then extra helm lint args
  local what=$1; shift
  if out=$("$HELM" lint --strict "$CHART" "$@" 2>&1); then ok "$what"; else fail "$what: $out"; fi
}
lint "lint --strict, default values"
lint "lint --strict, every option on" -f "$ALL_ON"

echo "== helm template: rendered objects"
render() { "$HELM" template tfws "$CHART" --namespace "$RELEASE_NS" "$@"; }
if render >"$WORK/default.yaml" 2>"$WORK/default.err"; then
  ok "template with default values"
  # Its "ok"/"FAIL" lines are reported below; a non-zero exit (a FAIL, or a crash before any line) fails too.
  /usr/bin/python3 "$CHART_TEST_DIR/assert_rendered.py" default "$WORK/default.yaml" "$CHART/values.yaml" >"$WORK/default.check" \
    || fail "assert_rendered.py default exited with status $? (its FAIL lines follow, if any)"
else
  fail "template with default values: $(cat "$WORK/default.err")"
fi
# As on Kubernetes >= 1.36, where the API server serves MutatingAdmissionPolicy (the default render is older).
if render -f "$ALL_ON" --api-versions admissionregistration.k8s.io/v1/MutatingAdmissionPolicy >"$WORK/all-on.yaml" 2>"$WORK/all-on.err"; then
  ok "template with every option on"
  # Its "ok"/"FAIL" lines are reported below; a non-zero exit (a FAIL, or a crash before any line) fails too.
  /usr/bin/python3 "$CHART_TEST_DIR/assert_rendered.py" all-on "$WORK/all-on.yaml" "$CHART/values.yaml" "$ALL_ON" >"$WORK/all-on.check" \
    || fail "assert_rendered.py all-on exited with status $? (its FAIL lines follow, if any)"
else
  fail "template with every option on: $(cat "$WORK/all-on.err")"
fi
for f in "$WORK"/default.check "$WORK"/all-on.check; do
  [[ -f $f ]] || continue
  while IFS= read -r line; do
    case $line in
      "ok   "*) ok "$(basename "$f" .check): ${line#ok   }" ;;
      *) fail "$(basename "$f" .check): ${line#FAIL }" ;;
    esac
  done <"$f"
done

# Names that YAML reads as booleans ("yes", "on", "y") must stay strings in every rendered field.
if render_yes=$("$HELM" template yes "$CHART" --namespace on -f "$ALL_ON" --set fullnameOverride=y \
    --set 'watchNamespaces={y,n}' --set leaderElection.namespace=off --set dashboards.namespace=no 2>&1) &&
  /usr/bin/python3 -c '
import sys, yaml
def walk(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k in ("name", "namespace", "instance") or k.startswith("app.kubernetes.io/"):
                assert isinstance(v, (str, dict, list)), f"{k}: {v!r} is not a string"
            walk(v)
    elif isinstance(node, list):
        for v in node: walk(v)
for doc in yaml.safe_load_all(sys.stdin):
    walk(doc)
' <<<"$render_yes"; then
  ok "release, namespace and object names that look like YAML booleans stay strings"
else
  fail "names that look like YAML booleans: $render_yes"
fi

# The packaged chart (what a registry serves) renders the same objects as the folder.
if "$HELM" package "$CHART" -d "$WORK" >/dev/null 2>&1 &&
  diff <(render -f "$ALL_ON") <("$HELM" template tfws "$WORK"/tfws-operator-*.tgz --namespace "$RELEASE_NS" -f "$ALL_ON") >/dev/null; then
  ok "helm package: the packaged chart renders the same objects as the folder"
else
  fail "helm package: the packaged chart differs from the folder (.helmignore drops a needed file?)"
fi

# The operator accepts the OperatorConfig the chart renders (default and every option on).
OPERATOR=${TFWS_OPERATOR_BIN:-$ROOT/build/operator/tfws-operator}
for name in default all-on; do
  [[ -f $WORK/$name.yaml ]] || continue
  /usr/bin/python3 -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ConfigMap" and "config.yaml" in d.get("data", {}):
        sys.stdout.write(d["data"]["config.yaml"])' "$WORK/$name.yaml" >"$WORK/$name.config.yaml"
  if "$OPERATOR" render -f "$ROOT/examples/minimal.yaml" --config "$WORK/$name.config.yaml" >"$WORK/$name.render" 2>&1 &&
    grep -q '^kind: Pod' "$WORK/$name.render"; then
    ok "$name: tfws-operator render accepts the chart's OperatorConfig"
  else
    fail "$name: tfws-operator render --config <chart config>: $(head -c 600 "$WORK/$name.render")"
  fi
done

checksum() { render "$@" | sed -n 's/^ *checksum\/config: //p'; }
if [[ "$(checksum)" != "$(checksum --set config.progressDeadlineSeconds=900)" ]]; then
  ok "a config change changes checksum/config (rolls the Deployment)"
else
  fail "checksum/config did not change with config.progressDeadlineSeconds"
fi
if [[ "$(checksum)" == "$(checksum --set workers=8)" ]]; then
  ok "a non-config change keeps checksum/config"
else
  fail "checksum/config changed although config did not"
fi

echo "== bad values are refused with a clear message"
for bad in "$CHART_TEST_DIR"/bad-values/*.yaml; do
  name=$(basename "$bad" .yaml)
  expected=$(sed -n 's/^# expect: //p' "$bad" | head -1)
  if [[ -z $expected ]]; then fail "$name: has no '# expect:' line"; continue; fi
  if out=$("$HELM" template tfws "$CHART" -f "$bad" 2>&1 >/dev/null); then
    fail "$name: accepted, expected refusal with: $expected"
  elif grep -qF -- "$expected" <<<"$out"; then
    ok "$name: refused with: $expected"
  else
    fail "$name: refused, but the message lacks '$expected': $out"
  fi
done

echo "== server-side dry-run against the API server"
require_cluster
for ns in "${DRY_NAMESPACES[@]}"; do "$KUBECTL" create namespace "$ns" >/dev/null; done
# The ServiceMonitor/PrometheusRule kinds need their CRDs: install the test stubs unless real ones exist.
for crd in servicemonitors.monitoring.coreos.com prometheusrules.monitoring.coreos.com; do
  if ! "$KUBECTL" get crd "$crd" >/dev/null 2>&1; then CREATED_STUB_CRDS+=("$crd"); fi
done
if ((${#CREATED_STUB_CRDS[@]} > 0)); then
  "$KUBECTL" apply -f "$CHART_TEST_DIR/monitoring-crds-stub.yaml" >/dev/null
  "$KUBECTL" wait --for condition=Established --timeout=60s crd/servicemonitors.monitoring.coreos.com crd/prometheusrules.monitoring.coreos.com >/dev/null
fi
dry_run() {  # name, then helm template args
  local name=$1; shift
  if ! "$HELM" template "tfws-$SUFFIX" "$CHART" --namespace "$DRY_NS" --include-crds "$@" >"$WORK/$name.dry.yaml" 2>"$WORK/$name.dry.err"; then
    fail "dry-run $name: helm template failed: $(cat "$WORK/$name.dry.err")"
    return
  fi
  if "$KUBECTL" apply --dry-run=server -f "$WORK/$name.dry.yaml" >"$WORK/$name.apply.out" 2>&1; then
    ok "dry-run $name: the API server accepts all $(grep -c '^kind:' "$WORK/$name.dry.yaml") objects"
  else
    fail "dry-run $name: $(grep -v 'created (server dry run)\|configured (server dry run)\|unchanged (server dry run)' "$WORK/$name.apply.out")"
  fi
}
dry_run default
dry_run all-on -f "$ALL_ON" \
  --set "watchNamespaces={tfws-chart-$SUFFIX-team-a,tfws-chart-$SUFFIX-team-b}" \
  --set "leaderElection.namespace=tfws-chart-$SUFFIX-leases" \
  --set "dashboards.namespace=tfws-chart-$SUFFIX-monitoring" \
  --set "fullnameOverride=tfws-chart-$SUFFIX"
# helm install also refuses bad values before touching the cluster.
if out=$("$HELM" install "tfws-$SUFFIX" "$CHART" -n "$DRY_NS" --dry-run=server -f "$CHART_TEST_DIR/bad-values/typo-top-level-key.yaml" 2>&1); then
  fail "helm install accepted bad values"
else
  grep -qF "additional properties 'replicas' not allowed" <<<"$out" && ok "helm install refuses bad values (schema)" || fail "helm install refused bad values with an unexpected message: $out"
fi

finish
