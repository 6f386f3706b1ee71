# Shared helpers of the observability contract tests (sourced, not run).
# Each check prints "ok   <what>" or "FAIL <what>"; finish() prints "N passed, N failed" and
# exits non-zero when anything failed.
set -uo pipefail

ROOT=${TFWS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
BUILD=${TFWS_BUILD_DIR:-$ROOT/build}
OBSERVE_DIR=$ROOT/tests/contract/observe
# Debian's python3 (python3-yaml, python3-matplotlib from hack/install-deps), not a pyenv shim.
PY=/usr/bin/python3
[[ -x $PY ]] || PY=python3
CHART=$ROOT/charts/tfws-operator
PASSED=0
FAILED=0

ok() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
check() {  # check "<what>" command args...: ok when the command succeeds, else FAIL with its output
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$what"; else fail "$what"; printf '%s\n' "$out" | sed 's/^/     /' | tail -40; fi
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
}
need() {  # need <command> <debian package>: exits 1 naming the package when missing
  command -v "$1" >/dev/null || { echo "FAIL $1 not found: apt-get install $2 (hack/install-deps)"; echo "0 passed, 1 failed"; exit 1; }
}
# A free TCP port on 127.0.0.1 (bound then released; fine for tests).
free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
# wait_http URL SECONDS: until URL answers 2xx.
wait_http() {
  local url=$1 deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.3
  done
}
