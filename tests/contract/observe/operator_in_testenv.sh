# Runs the real tfws-operator against the testenv cluster with the examples applied, so the
# Prometheus contract test scrapes metrics of real workspaces; sourced after observe/lib.sh.
#
#   operator_start WORKDIR   installs the CRD, creates two Pod-Security-restricted namespaces
#                            (obs-vision-<id>: every example plus the dataset claims they mount;
#                            obs-nlp-<id>: "ws-idle", a one-GPU workspace the fake DCGM exporter
#                            keeps idle), starts build/operator/tfws-operator watching only
#                            those, waits until every workspace is Running or Stopped, and sets
#                            OPERATOR_METRICS_URL, OPERATOR_WORKSPACES (ns/name,...) and
#                            OPERATOR_GPU_WORKSPACES (those of them with GPUs and a Pod).
#                            With OPERATOR_LOKI_URL set, the operator also pushes its logs there.
#   operator_stop            stops the operator and deletes the two namespaces.
# Needs a running testenv: $TFWS_TESTENV_DIR/kubeconfig (hack/test starts it; by hand:
# hack/testenv up).
TESTENV_DIR=${TFWS_TESTENV_DIR:-/tmp/tfws-testenv}
OPERATOR_PID=""
OPERATOR_NAMESPACES=()

operator_start() {
  local work=$1
  local kubeconfig=$TESTENV_DIR/kubeconfig operator=$BUILD/operator/tfws-operator
  [[ -s $kubeconfig ]] || { echo "FAIL no testenv at $TESTENV_DIR: start it with hack/testenv up"; return 1; }
  [[ -x $operator ]] || { echo "FAIL $operator not built (ninja -C $BUILD tfws-operator)"; return 1; }
  KUBECTL=("$("$ROOT/hack/testenv" bin)/kubectl" --kubeconfig "$kubeconfig")

  "${KUBECTL[@]}" apply --server-side -f "$ROOT/crds/" >/dev/null &&
    "${KUBECTL[@]}" wait --for=condition=Established crd/tfworkspaces.tfws.io crd/tfworkspaceclasses.tfws.io --timeout=60s >/dev/null ||
    { echo "FAIL installing the CRD"; return 1; }

  local id vision nlp
  id=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
  vision=obs-vision-$id nlp=obs-nlp-$id
  OPERATOR_NAMESPACES=("$vision" "$nlp")
  local ns
  for ns in "$vision" "$nlp"; do
    "${KUBECTL[@]}" create namespace "$ns" >/dev/null &&
      "${KUBECTL[@]}" label namespace "$ns" pod-security.kubernetes.io/enforce=restricted >/dev/null ||
      { echo "FAIL creating namespace $ns"; return 1; }
  done

  local metrics_port health_port
  metrics_port=$(free_port) health_port=$(free_port)
  local loki=()
  [[ -n ${OPERATOR_LOKI_URL:-} ]] && loki=(--loki-url "$OPERATOR_LOKI_URL" --loki-labels "cluster=testenv")
  "$operator" --kubeconfig "$kubeconfig" --watch-namespaces "$vision,$nlp" \
    --metrics-bind-address "127.0.0.1:$metrics_port" --health-probe-bind-address "127.0.0.1:$health_port" \
    "${loki[@]}" >"$work/operator.log" 2>&1 &
  OPERATOR_PID=$!
  OPERATOR_METRICS_URL=http://127.0.0.1:$metrics_port/metrics
  wait_http "http://127.0.0.1:$health_port/readyz" 60 ||
    { echo "FAIL tfws-operator not ready within 60 s"; tail -20 "$work/operator.log"; return 1; }

  "${KUBECTL[@]}" -n "$vision" apply -f "$ROOT/examples/prerequisites/" >/dev/null &&
    "${KUBECTL[@]}" -n "$vision" apply -f "$ROOT/examples/" >/dev/null &&
    sed -E 's/^(  name|  owner): .*/\1: ws-idle/; s/^  team: .*/  team: nlp/' "$ROOT/examples/minimal.yaml" |
    "${KUBECTL[@]}" -n "$nlp" apply -f - >/dev/null ||
    { echo "FAIL applying the examples"; return 1; }

  local deadline=$((SECONDS + 180)) phases
  while :; do
    phases=$("${KUBECTL[@]}" get tfws -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}={.status.phase}{"\n"}{end}' |
      grep -E "^($vision|$nlp)/")
    grep -qvE '=(Running|Stopped)$' <<<"$phases" || break
    ((SECONDS < deadline)) || { echo "FAIL workspaces not Running/Stopped within 180 s:"; echo "$phases"; return 1; }
    sleep 2
  done
  OPERATOR_WORKSPACES=$(sed 's/=.*//' <<<"$phases" | paste -sd, -)
  OPERATOR_GPU_WORKSPACES=$("${KUBECTL[@]}" get tfws -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {.spec.gpu.count} {.status.phase}{"\n"}{end}' |
    awk -v a="$vision" -v b="$nlp" '$3 == "Running" && $2 > 0 && (index($1, a "/") == 1 || index($1, b "/") == 1) {print $1}' |
    paste -sd, -)
  echo "$phases" | sed 's/^/     /'
}

operator_stop() {
  if [[ -n $OPERATOR_PID ]]; then
    kill -TERM "$OPERATOR_PID" 2>/dev/null || true
    wait "$OPERATOR_PID" 2>/dev/null || true
    OPERATOR_PID=""
  fi
  local ns
  for ns in "${OPERATOR_NAMESPACES[@]}"; do
    "${KUBECTL[@]}" delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  done
  OPERATOR_NAMESPACES=()
}
