#!/usr/bin/env bash
# Contract: Jupyter Notebook 6.4 (Debian's python3-notebook, the same 6.x server as the TF 2.9 image)
# started with EXACTLY the command line and environment `tfws-operator render` puts in the workspace
# Pod of examples/minimal.yaml (with the chart's default OperatorConfig), as a non-root user with an
# empty world-writable HOME like the Pod's emptyDir. Shows:
#  - the readiness probe (<base>api) answers without auth
#  - the token works (header and query), requests without it or with a wrong one are refused
#  - base_url routing: everything lives under <base>, requests outside it are 404
#  - a kernel starts (non-root, HOME writable) and the image's supervisord runs the same command
#  - the operator's idle-culling probe reads activity from it (and is not activity itself)
# Only --ip (0.0.0.0 -> 127.0.0.1), --port and --notebook-dir are substituted for the test.
source "$(dirname "${BASH_SOURCE[0]}")/image/lib.sh"
require_commands jupyter curl setpriv

OPERATOR=${TFWS_OPERATOR_BIN:-$ROOT/build/operator/tfws-operator}
EXAMPLE=$ROOT/examples/minimal.yaml
start_pod_sandbox

# --- What the operator renders: the chart's default OperatorConfig + examples/minimal.yaml.
/usr/bin/python3 -c 'import sys, yaml; print(yaml.safe_dump(yaml.safe_load(open(sys.argv[1]))["config"]))' \
  "$ROOT/charts/tfws-operator/values.yaml" >"$WORK/operator-config.yaml"
if "$OPERATOR" render -f "$EXAMPLE" --config "$WORK/operator-config.yaml" >"$WORK/render.yaml" 2>"$WORK/render.err"; then
  ok "tfws-operator render -f examples/minimal.yaml"
elif [[ -n ${TFWS_ALLOW_CONTRACT_FALLBACK:-} ]]; then
  # Development only: the Pod as the cross-team contract text describes it.
  fail "render unavailable ($(head -c 300 "$WORK/render.err")): using the contract text instead"
  cat >"$WORK/render.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: minimal, namespace: default}
spec:
  containers:
    - name: workspace
      image: tensorflow/tensorflow:2.9.0-gpu-jupyter
      command: [jupyter, notebook, --notebook-dir=/tf, --ip=0.0.0.0, --port=8888, --port-retries=0, --no-browser,
        --NotebookApp.base_url=/tfws/default/minimal/, --NotebookApp.allow_remote_access=True,
        --NotebookApp.trust_xheaders=True, --NotebookApp.allow_password_change=False]
      env:
        - {name: HOME, value: /home/tfws}
        - {name: TFWS_BASE_URL, value: /tfws/default/minimal/}
        - {name: TFWS_SSH_ENABLED, value: "false"}
        - name: JUPYTER_TOKEN
          valueFrom: {secretKeyRef: {name: minimal-token, key: token}}
      ports: [{name: http, containerPort: 8888}]
      readinessProbe: {httpGet: {path: /tfws/default/minimal/api, port: 8888}}
EOF
else
  fail "tfws-operator render -f examples/minimal.yaml failed (operator: $OPERATOR): $(head -c 500 "$WORK/render.err")"
  finish
fi
if ! /usr/bin/python3 "$ROOT/tests/contract/image/pod_contract.py" "$WORK/render.yaml" "$WORK/pod" 2>"$WORK/pod.err"; then
  fail "render output breaks the Pod contract: $(cat "$WORK/pod.err")"
  finish
fi
mapfile -t ARGV <"$WORK/pod/argv"
BASE=$(cat "$WORK/pod/base_url")
read -r PROBE_PATH PROBE_PORT <"$WORK/pod/probe"
TOKEN=$(cat "$WORK/pod/token" 2>/dev/null || echo "contract-test-token-$RANDOM$RANDOM")
echo "rendered: ${ARGV[*]}"

check "base URL has a leading and trailing slash ($BASE)" grep -qE '^/.*/$' <<<"$BASE"
check "readiness probe = GET <base>api on 8888 ($PROBE_PATH on $PROBE_PORT)" test "$PROBE_PATH $PROBE_PORT" = "${BASE}api 8888"
for flag in --notebook-dir=/tf --ip=0.0.0.0 --port=8888 --port-retries=0 --no-browser "--NotebookApp.base_url=$BASE" \
  --NotebookApp.allow_remote_access=True --NotebookApp.trust_xheaders=True --NotebookApp.allow_password_change=False; do
  check "command line has $flag" grep -qxF -- "$flag" "$WORK/pod/argv"
done
check "command is jupyter notebook" test "${ARGV[0]} ${ARGV[1]}" = "jupyter notebook"

# The image's supervisord runs the same command for `launcher: entrypoint` images.
# (token auth: the entrypoint sets TFWS_JUPYTER_AUTH_ARGS empty, which supervisord's shlex split drops)
image_cmd=$(sed -n 's/^command=\(jupyter .*\)/\1/p' "$IMAGE_DIR/supervisord.conf" |
  sed -e "s|%(ENV_TFWS_BASE_URL)s|$BASE|" -e "s| %(ENV_TFWS_JUPYTER_AUTH_ARGS)s$||")
check "images/tf29-workspace/supervisord.conf runs exactly the rendered Jupyter command" test "$image_cmd" = "${ARGV[*]}"

# --- Run it: the rendered argv with only ip/port/notebook-dir substituted, the rendered env.
PORT=$(free_port)
RUN_ARGV=()
for a in "${ARGV[@]}"; do
  case $a in
    --ip=0.0.0.0) RUN_ARGV+=(--ip=127.0.0.1) ;;
    --port=8888) RUN_ARGV+=("--port=$PORT") ;;
    --notebook-dir=/tf) RUN_ARGV+=("--notebook-dir=$WORK/tf") ;;
    *) RUN_ARGV+=("$a") ;;
  esac
done
RUN_ENV=(PATH="$PATH" JUPYTER_TOKEN="$TOKEN")
while IFS= read -r kv; do
  case $kv in
    HOME=/home/tfws) RUN_ENV+=("HOME=$WORK/home/tfws") ;;
    HOME=*) fail "HOME is ${kv#HOME=}, the contract says /home/tfws"; RUN_ENV+=("HOME=$WORK/home/tfws") ;;
    PATH=* | LD_LIBRARY_PATH=*) ;;  # the image's paths; Debian's Jupyter runs with the host's
    *) RUN_ENV+=("$kv") ;;
  esac
done <"$WORK/pod/env"
printf '%s\n' "${RUN_ENV[@]}" | grep -q "^HOME=" || RUN_ENV+=("HOME=$WORK/home/tfws")
(cd "$WORK/tf" && exec "${AS_USER[@]}" env -i "${RUN_ENV[@]}" "${RUN_ARGV[@]}") >"$WORK/jupyter.log" 2>&1 &
JUPYTER_PID=$!
BACKGROUND_PIDS+=("$JUPYTER_PID")
URL=http://127.0.0.1:$PORT
if ! wait_for "Jupyter on $URL${BASE}api" 60 curl -fsS "$URL${BASE}api"; then
  fail "Jupyter did not answer: $(tail -20 "$WORK/jupyter.log")"
  finish
fi
status() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# Readiness probe: no auth, only the version.
check "readiness probe ${BASE}api answers 200 without a token" test "$(status "$URL${BASE}api")" = 200
check "${BASE}api tells only the version" /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); assert set(d) == {"version"}, d' < <(curl -s "$URL${BASE}api")
# Token.
check "with the token (Authorization header) ${BASE}api/status answers 200" \
  test "$(status -H "Authorization: token $TOKEN" "$URL${BASE}api/status")" = 200
check "with the token (query) ${BASE}tree answers 200" test "$(status "$URL${BASE}tree?token=$TOKEN")" = 200
check "without a token ${BASE}api/status is refused (403)" test "$(status "$URL${BASE}api/status")" = 403
check "with a wrong token ${BASE}api/status is refused (403)" test "$(status -H "Authorization: token wrong-$TOKEN" "$URL${BASE}api/status")" = 403
login=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$URL${BASE}tree")
check "without a token ${BASE}tree redirects to ${BASE}login ($login)" grep -qE "^302 $URL${BASE}login" <<<"$login"
check "without a token the kernels API is refused (403)" test "$(status -X POST "$URL${BASE}api/kernels")" = 403
# base_url routing.
check "outside the base URL /api is 404" test "$(status "$URL/api")" = 404
check "outside the base URL /tree is 404, even with the token" test "$(status -H "Authorization: token $TOKEN" "$URL/tree")" = 404
check "another workspace's base URL is 404" test "$(status "$URL/tfws/other/ws/api")" = 404
# A kernel starts under the non-root user with the emptyDir HOME.
kernel=$(curl -s -X POST -H "Authorization: token $TOKEN" "$URL${BASE}api/kernels" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin).get("id",""))' 2>/dev/null || true)
check "a kernel starts (POST ${BASE}api/kernels with the token)" test -n "$kernel"
# The operator's idle-culling probe (workspace/jupyter_activity_probe) against this Jupyter.
UNIT=${TFWS_BUILD_DIR:-$ROOT/build}/tests/unit_workspace
if [[ -x $UNIT ]] && TFWS_JUPYTER_BASE_URL="$URL$BASE" TFWS_JUPYTER_TOKEN="$TOKEN" \
  "$UNIT" --gtest_filter='JupyterActivityProbeAgainstJupyter.*' >"$WORK/probe.out" 2>&1 &&
  grep -q '^\[  PASSED  \] 1 test' "$WORK/probe.out"; then
  ok "the operator's activity probe reads Jupyter's activity with the token; probing is not activity, a request is"
else
  fail "the operator's activity probe against Jupyter ($UNIT --gtest_filter=JupyterActivityProbeAgainstJupyter.*)"
  tail -30 "$WORK/probe.out" 2>/dev/null | sed 's/^/     /'
fi
[[ -n $kernel ]] && curl -s -X DELETE -H "Authorization: token $TOKEN" "$URL${BASE}api/kernels/$kernel" >/dev/null
jupyter_user=$(ps -o user= -p "$JUPYTER_PID" | tr -d ' ')
check "Jupyter runs as the non-root user ($jupyter_user)" test "$jupyter_user" = "$RUN_USER"
check "Jupyter does not print the token in its log" bash -c "! grep -qF -- '$TOKEN' '$WORK/jupyter.log'"

finish
