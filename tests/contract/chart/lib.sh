# shellcheck shell=bash
# Shared by tests/contract/helm_*.sh: locating helm/kubectl from hack/testenv, the cluster's
# kubeconfig, and a tiny assertion vocabulary that prints "ok"/"FAIL" lines and counts them.
set -euo pipefail

ROOT=${TFWS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
CHART=${TFWS_CHART_DIR:-$ROOT/charts/tfws-operator}  # override to test a copy or an unpacked package
CHART_TEST_DIR=$ROOT/tests/contract/chart
source "$ROOT/hack/lib.sh"  # retry_for
TESTENV_BIN=${TFWS_TESTENV_BIN:-$("$ROOT/hack/testenv" bin)}
HELM=$TESTENV_BIN/helm
KUBECTL=$TESTENV_BIN/kubectl
[[ -x $HELM ]] || { echo "FAIL: no helm at $HELM: run hack/testenv build" >&2; exit 1; }

PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
# check "description" command...: ok when the command succeeds.
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
# Prints the closing line ctest-style runners recognise and exits non-zero on any failure.
finish() {
  echo "$PASSED passed, $FAILED failed"
  ((FAILED == 0))
}

# Sets KUBECONFIG to the running testenv (hack/test exports it; else $TFWS_TESTENV_DIR).
# Fails the test when no cluster answers: contract tests run against the real API server.
require_cluster() {
  export KUBECONFIG=${KUBECONFIG:-${TFWS_TESTENV_DIR:-/tmp/tfws-testenv}/kubeconfig}
  if ! "$KUBECTL" get --raw /readyz >/dev/null 2>&1; then
    echo "FAIL: no API server answers with KUBECONFIG=$KUBECONFIG: start one with hack/testenv up" >&2
    exit 1
  fi
}
