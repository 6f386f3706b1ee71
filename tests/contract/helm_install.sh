#!/usr/bin/env bash
# Contract: the chart's RBAC is exactly enough, proven against the real API server (testenv):
#  1. helm install the chart (CRDs from crds/, ServiceAccount, ClusterRole, Lease Role, admission
#     policies, ...) and the example TFWorkspaceClass (the policies refuse workspaces without a class)
#  2. get a token for the chart's ServiceAccount from the TokenRequest API (kubectl create token),
#     write a kubeconfig with it, and run $TFWS_OPERATOR_BIN OUTSIDE the cluster with that kubeconfig
#     and the flags and OperatorConfig of the chart's Deployment/ConfigMap
#  3. the operator reconciles examples/minimal.yaml to phase Running without any "forbidden"
#  4. requests outside its role are refused (kubectl auth can-i --as=..., and a direct request)
#  5. helm upgrade (a changed value) and helm uninstall leave users' TFWorkspaces and PVCs in place
source "$(dirname "${BASH_SOURCE[0]}")/chart/lib.sh"
require_cluster

OPERATOR=${TFWS_OPERATOR_BIN:-$ROOT/build/operator/tfws-operator}
EXAMPLE=${TFWS_EXAMPLE:-$ROOT/examples/minimal.yaml}
[[ -x $OPERATOR ]] || { echo "FAIL: no operator binary at $OPERATOR (build tfws-operator)"; exit 1; }
[[ -f $EXAMPLE ]] || { echo "FAIL: $EXAMPLE is missing"; exit 1; }
RUN_ID=$$
NS=tfws-install-$RUN_ID          # the release namespace
USERS_NS=tfws-install-$RUN_ID-users  # where an ML engineer creates a workspace
RELEASE=tfws-operator
WORK=$(mktemp -d /tmp/tfws-helm-install.XXXXXX)
OPERATOR_PID=""
OPERATOR_LOG=""
admin() { "$KUBECTL" "$@"; }

cleanup() {
  local rc=$?
  set +e  # clean up as much as possible whatever fails
  declare -F stop_operator >/dev/null && stop_operator
  # The operator is gone: drop its finalizers so the namespaces can be deleted.
  for ws in $(admin get tfworkspaces -n "$USERS_NS" -o name 2>/dev/null); do
    admin patch -n "$USERS_NS" "$ws" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1 || true
  done
  "$HELM" uninstall "$RELEASE" -n "$NS" >/dev/null 2>&1 || true
  admin delete -f "$ROOT/examples/classes/" --ignore-not-found >/dev/null 2>&1 || true
  # The API server stops enforcing the uninstalled policies a moment after they are deleted (its
  # informers), and until then, with the classes gone, refuses every workspace: wait until the
  # example is admitted again so the next test starts without them (at most 30 s).
  retry_for 30 admin create --dry-run=server -n default -f "$EXAMPLE" || true
  admin delete namespace "$NS" "$USERS_NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
  if [[ -n ${TFWS_KEEP_WORKDIR:-} || $rc -ne 0 ]]; then
    echo "operator log: ${OPERATOR_LOG:-none} (last lines below)"; tail -20 "${OPERATOR_LOG:-/dev/null}" 2>/dev/null || true
  fi
  [[ -n ${TFWS_KEEP_WORKDIR:-} ]] || rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

echo "== helm install"
if "$HELM" install "$RELEASE" "$CHART" -n "$NS" --create-namespace --wait=false >"$WORK/install.out" 2>&1; then
  ok "helm install $RELEASE into $NS"
else
  fail "helm install: $(cat "$WORK/install.out")"; finish
fi
check "NOTES tell how to create a first workspace and where metrics are" \
  bash -c "grep -q 'kubectl get tfws' '$WORK/install.out' && grep -q 'Metrics: Service' '$WORK/install.out'"
check "the TFWorkspace CRD is installed and served" bash -c "'$KUBECTL' wait --for condition=Established --timeout=60s crd/tfworkspaces.tfws.io >/dev/null"
check "the TFWorkspaceClass CRD is installed and served" bash -c "'$KUBECTL' wait --for condition=Established --timeout=60s crd/tfworkspaceclasses.tfws.io >/dev/null"
check "the admission policies and their bindings are installed" bash -c \
  "'$KUBECTL' get validatingadmissionpolicy,validatingadmissionpolicybinding tfws-workspace-rights.tfws.io tfws-workspace-class.tfws.io tfws-workspace-class-exists.tfws.io tfws-class-single-default.tfws.io >/dev/null"
check "the class-reference MutatingAdmissionPolicy and its binding are installed (the API server serves them)" bash -c \
  "'$KUBECTL' get mutatingadmissionpolicy,mutatingadmissionpolicybinding tfws-workspace-class-ref.tfws.io >/dev/null"
# The policy refuses every workspace until a class exists: the platform team's first step.
# Until the API server has synced the policies' informer for their parameter kind it refuses every
# class ("paramKind ... not yet synced"; 0.0-2.1 s after the install): apply again, at most 30 s.
retry_for 30 admin apply -f "$ROOT/examples/classes/" || true
# The policies see the new default class within seconds (their informers); wait until they admit
# the example (a dry run; measured 0.2 s against the testenv API server, at most 30 s).
retry_for 30 admin create --dry-run=server -n default -f "$EXAMPLE" || true
"$HELM" get manifest "$RELEASE" -n "$NS" >"$WORK/manifest.yaml"
SA=$(/usr/bin/python3 -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d and d["kind"] == "ServiceAccount": print(d["metadata"]["name"])' "$WORK/manifest.yaml")
SUBJECT=system:serviceaccount:$NS:$SA
echo "operator identity: $SUBJECT"

# Starts $OPERATOR outside the cluster as the release's ServiceAccount (a TokenRequest token in a
# kubeconfig of its own), with the flags of the release's Deployment and its ConfigMap's
# OperatorConfig; only the config path and the listen addresses (loopback, free ports) are replaced.
# Sets OPERATOR_PID, OPERATOR_LOG, SA_KUBECONFIG.
start_operator() {  # label
  local label=$1 token server a
  token=$(admin create token "$SA" -n "$NS" --duration=1h)
  check "$label: TokenRequest API issued a token for $SA" test -n "$token"
  server=$(admin config view --raw --minify -o jsonpath='{.clusters[0].cluster.server}')
  admin config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$WORK/ca.crt"
  [[ -s $WORK/ca.crt ]] || cp "$(admin config view --raw --minify -o jsonpath='{.clusters[0].cluster.certificate-authority}')" "$WORK/ca.crt"
  SA_KUBECONFIG=$WORK/$label.kubeconfig
  KUBECONFIG=$SA_KUBECONFIG admin config set-cluster testenv --server="$server" --certificate-authority="$WORK/ca.crt" --embed-certs >/dev/null
  KUBECONFIG=$SA_KUBECONFIG admin config set-credentials "$SA" --token="$token" >/dev/null
  KUBECONFIG=$SA_KUBECONFIG admin config set-context operator --cluster=testenv --user="$SA" >/dev/null
  KUBECONFIG=$SA_KUBECONFIG admin config use-context operator >/dev/null
  admin get configmap -n "$NS" -l "app.kubernetes.io/instance=$RELEASE" -o jsonpath='{.items[0].data.config\.yaml}' >"$WORK/$label.config.yaml"
  check "$label: the chart's ConfigMap carries config.yaml" test -s "$WORK/$label.config.yaml"
  local -a chart_args args
  mapfile -t chart_args < <(admin get deployment -n "$NS" -l "app.kubernetes.io/instance=$RELEASE" \
    -o jsonpath='{range .items[0].spec.template.spec.containers[0].args[*]}{@}{"\n"}{end}')
  METRICS_PORT=$(port); HEALTH_PORT=$(port)
  args=(--kubeconfig="$SA_KUBECONFIG")
  for a in "${chart_args[@]}"; do
    case $a in
      --config=*) args+=("--config=$WORK/$label.config.yaml") ;;
      --metrics-bind-address=*) args+=("--metrics-bind-address=127.0.0.1:$METRICS_PORT") ;;
      --health-probe-bind-address=*) args+=("--health-probe-bind-address=127.0.0.1:$HEALTH_PORT") ;;
      *) args+=("$a") ;;
    esac
  done
  echo "running: $OPERATOR ${args[*]}"
  OPERATOR_LOG=$WORK/$label.operator.log
  "$OPERATOR" "${args[@]}" >"$OPERATOR_LOG" 2>&1 &
  OPERATOR_PID=$!
  local deadline=$((SECONDS + 60))
  until wait_ready || ((SECONDS > deadline)) || ! kill -0 "$OPERATOR_PID" 2>/dev/null; do sleep 0.5; done
  check "$label: the operator is ready (/readyz) with the chart's flags and the ServiceAccount token" wait_ready
}
stop_operator() {
  if [[ -n $OPERATOR_PID ]]; then kill "$OPERATOR_PID" 2>/dev/null || true; wait "$OPERATOR_PID" 2>/dev/null || true; fi
  OPERATOR_PID=""
}
port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ready() { curl -fsS "http://127.0.0.1:$HEALTH_PORT/readyz" >/dev/null 2>&1; }
as_operator() { KUBECONFIG=$SA_KUBECONFIG "$KUBECTL" "$@"; }
# Applies examples/minimal.yaml under NAME into USERS_NS and waits for phase Running.
workspace_reaches_running() {  # label, name
  local label=$1 name=$2 phase=""
  /usr/bin/python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1])); d["metadata"]["name"] = sys.argv[2]; print(yaml.safe_dump(d))' "$EXAMPLE" "$name" |
    admin apply -n "$USERS_NS" -f - >/dev/null
  local deadline=$((SECONDS + 180))
  until [[ $phase == Running ]] || ((SECONDS > deadline)); do
    sleep 1; phase=$(admin get tfworkspace "$name" -n "$USERS_NS" -o jsonpath='{.status.phase}' 2>/dev/null || true)
  done
  check "$label: TFWorkspace $name reaches phase Running (got '$phase')" test "$phase" = Running
  check "$label: admission wrote the default class into its spec.className" \
    test "$(admin get tfworkspace "$name" -n "$USERS_NS" -o jsonpath='{.spec.className}')" = shared-gpu
  check "$label: its Pod exists and is owned by the TFWorkspace" \
    test "$(admin get pod "$name" -n "$USERS_NS" -o jsonpath='{.metadata.ownerReferences[0].kind}' 2>/dev/null)" = TFWorkspace
  local forbidden
  forbidden=$(grep -ci 'forbidden' "$OPERATOR_LOG" || true)
  check "$label: the operator log has no 'forbidden' (its role is enough; got $forbidden)" test "$forbidden" -eq 0
}

echo "== the operator, outside the cluster, as the chart's ServiceAccount"
start_operator cluster-wide

echo "== it reconciles a workspace to Running"
admin create namespace "$USERS_NS" >/dev/null
# A user's own data: a PVC that must outlive upgrades and uninstalls.
admin apply -n "$USERS_NS" -f - >/dev/null <<'EOF'
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: team-datasets
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
EOF
WS=$(/usr/bin/python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["metadata"]["name"])' "$EXAMPLE")
workspace_reaches_running cluster-wide "$WS"

echo "== requests outside the role are refused"
can() { admin auth can-i "$@" --as="$SUBJECT" 2>/dev/null || true; }
check "can patch tfworkspaces/status" test "$(can patch tfworkspaces.tfws.io --subresource=status -n "$USERS_NS")" = yes
check "can create pods in a user namespace" test "$(can create pods -n "$USERS_NS")" = yes
check "cannot read nodes (the operator never does)" test "$(can list nodes)" = no
check "can watch TFWorkspaceClasses" test "$(can watch tfworkspaceclasses.tfws.io)" = yes
check "cannot change TFWorkspaceClasses (the platform team does)" test "$(can update tfworkspaceclasses.tfws.io)" = no
check "can update its Lease" test "$(can update leases.coordination.k8s.io/tfws-operator -n "$NS")" = yes
check "cannot update another Lease" test "$(can update leases.coordination.k8s.io/kube-scheduler -n kube-system)" = no
check "cannot delete nodes" test "$(can delete nodes)" = no
check "cannot read configmaps cluster-wide" test "$(can list configmaps --all-namespaces)" = no
check "cannot create TFWorkspaces (users do)" test "$(can create tfworkspaces.tfws.io -n "$USERS_NS")" = no
check "cannot delete TFWorkspaces (users do)" test "$(can delete tfworkspaces.tfws.io -n "$USERS_NS")" = no
check "cannot update TFWorkspaces (it only patches the culled-at annotation)" test "$(can update tfworkspaces.tfws.io -n "$USERS_NS")" = no
check "can patch TFWorkspaces (idle culling)" test "$(can patch tfworkspaces.tfws.io -n "$USERS_NS")" = yes
check "cannot change RBAC" test "$(can create clusterrolebindings)" = no
check "cannot create deployments" test "$(can create deployments.apps -n "$USERS_NS")" = no
check "cannot exec into pods" test "$(can create pods --subresource=exec -n "$USERS_NS")" = no
out=$(as_operator get configmaps --all-namespaces 2>&1 || true)
check "a direct request with the token for configmaps is Forbidden" \
  grep -q "Forbidden.*User \"$SUBJECT\" cannot list resource \"configmaps\"" <<<"$out"
out=$(as_operator delete node cpu-0 --dry-run=server 2>&1 || true)
check "a direct request with the token to delete a node is Forbidden" grep -q "Forbidden" <<<"$out"

echo "== helm upgrade and uninstall keep users' data"
snapshot() {  # the user's objects: TFWorkspaces and PVCs with their UIDs
  admin get tfworkspaces,persistentvolumeclaims -n "$USERS_NS" -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}={.metadata.uid}{"\n"}{end}' | sort
}
before=$(snapshot)
echo "$before" | sed 's/^/     /'
old_checksum=$(admin get deployment -n "$NS" -l "app.kubernetes.io/instance=$RELEASE" -o jsonpath='{.items[0].spec.template.metadata.annotations.checksum/config}')
if "$HELM" upgrade "$RELEASE" "$CHART" -n "$NS" --reuse-values --set workers=8 --set config.progressDeadlineSeconds=900 >"$WORK/upgrade.out" 2>&1; then
  ok "helm upgrade with changed values"
else
  fail "helm upgrade: $(cat "$WORK/upgrade.out")"
fi
args=$(admin get deployment -n "$NS" -l "app.kubernetes.io/instance=$RELEASE" -o jsonpath='{.items[0].spec.template.spec.containers[0].args}')
check "the upgraded Deployment runs --workers=8" grep -q -- '--workers=8' <<<"$args"
new_checksum=$(admin get deployment -n "$NS" -l "app.kubernetes.io/instance=$RELEASE" -o jsonpath='{.items[0].spec.template.metadata.annotations.checksum/config}')
check "the config change rolled the Pod template (checksum/config changed)" test "$old_checksum" != "$new_checksum"
check "after helm upgrade: the same TFWorkspaces and PVCs (same UIDs)" test "$(snapshot)" = "$before"
if "$HELM" uninstall "$RELEASE" -n "$NS" >"$WORK/uninstall.out" 2>&1; then ok "helm uninstall"; else fail "helm uninstall: $(cat "$WORK/uninstall.out")"; fi
sleep 2
check "after helm uninstall: the CRD is still there" bash -c "'$KUBECTL' get crd tfworkspaces.tfws.io >/dev/null"
check "after helm uninstall: the same TFWorkspaces and PVCs (same UIDs)" test "$(snapshot)" = "$before"
check "after helm uninstall: the operator's permissions are gone" test "$(can list tfworkspaces.tfws.io -n "$USERS_NS")" = no

echo "== watchNamespaces: the same proof with one Role per watched namespace"
stop_operator
if "$HELM" install "$RELEASE" "$CHART" -n "$NS" --set "watchNamespaces={$USERS_NS}" >"$WORK/install2.out" 2>&1; then
  ok "helm install with watchNamespaces={$USERS_NS}"
else
  fail "helm install with watchNamespaces: $(cat "$WORK/install2.out")"; finish
fi
start_operator namespaced
workspace_reaches_running namespaced "$WS-2"
check "namespaced: can list pods in the watched namespace" test "$(can list pods -n "$USERS_NS")" = yes
check "namespaced: cannot list pods in all namespaces" test "$(can list pods --all-namespaces)" = no
check "namespaced: cannot read secrets outside the watched namespace" test "$(can get secrets -n kube-system)" = no
check "namespaced: cannot list TFWorkspaces outside the watched namespace" test "$(can list tfworkspaces.tfws.io -n default)" = no
check "namespaced: can still read TFWorkspaceClasses" test "$(can list tfworkspaceclasses.tfws.io)" = yes

finish
