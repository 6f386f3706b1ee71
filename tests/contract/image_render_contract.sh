#!/usr/bin/env bash
# Contract: for an image the chart's OperatorConfig marks `launcher: entrypoint, ssh: true`
# (tfws/tf29-workspace), the Pod `tfws-operator render -f examples/ssh-with-keys.yaml` produces gives
# the image's entrypoint exactly what it reads: no command, TFWS_BASE_URL that passes the
# entrypoint's own check, TFWS_SSH_ENABLED=true, the token Secret, HOME/tmp emptyDirs, the keys
# Secret at /etc/tfws/ssh, the host key Secret at /etc/tfws/ssh-host, ports 8888/2222, UID/GID
# 1000, a writable root filesystem (SSH on).
set -euo pipefail
ROOT=${TFWS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
OPERATOR=${TFWS_OPERATOR_BIN:-$ROOT/build/operator/tfws-operator}
WORK=$(mktemp -d /tmp/tfws-render-contract.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

/usr/bin/python3 -c 'import sys, yaml; print(yaml.safe_dump(yaml.safe_load(open(sys.argv[1]))["config"]))' \
  "$ROOT/charts/tfws-operator/values.yaml" >"$WORK/operator-config.yaml"
if ! "$OPERATOR" render -f "$ROOT/examples/ssh-with-keys.yaml" --config "$WORK/operator-config.yaml" >"$WORK/render.yaml" 2>"$WORK/render.err"; then
  echo "FAIL tfws-operator render -f examples/ssh-with-keys.yaml: $(head -c 500 "$WORK/render.err")"
  echo "0 passed, 1 failed"
  exit 1
fi
set +e
/usr/bin/python3 "$ROOT/tests/contract/image/check_entrypoint_pod.py" "$WORK/render.yaml" \
  "$ROOT/images/tf29-workspace/entrypoint.sh" "$ROOT/images/tf29-workspace/sshd_config" | tee "$WORK/out"
rc=${PIPESTATUS[0]}
echo "$(grep -c '^ok' "$WORK/out") passed, $(grep -c '^FAIL' "$WORK/out") failed"
exit "$rc"
