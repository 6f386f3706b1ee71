# Shared by hack/test and hack/demo: build the project, manage testenv.
# shellcheck shell=bash

TFWS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TFWS_BUILD_DIR=${TFWS_BUILD_DIR:-$TFWS_ROOT/build}
export TFWS_TESTENV_DIR=${TFWS_TESTENV_DIR:-/tmp/tfws-testenv}
export PATH="/usr/local/go/bin:$PATH"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
# Runs "$@" (output dropped) once a second until it succeeds, at most $1 tries; the last try's status.
retry_for() {
  local tries=$1 i
  shift
  for ((i = 1; i < tries; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  "$@" >/dev/null 2>&1
}

# Configures and builds build/ (ASan+UBSan on: the same binary serves tests and the demo).
build_project() {
  step "Building tfws (C++20, CMake+Ninja) in ${TFWS_BUILD_DIR#"$TFWS_ROOT"/}"
  cmake -S "$TFWS_ROOT" -B "$TFWS_BUILD_DIR" -G Ninja -DTFWS_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  ninja -C "$TFWS_BUILD_DIR" ${TFWS_NINJA_JOBS:+-j "$TFWS_NINJA_JOBS"}
}

# Builds (or reuses) the Go-built control plane, then starts it.
start_testenv() {
  step "Building the local Kubernetes control plane from Go modules (cached; the first build takes 20-40 minutes on 2 cores)"
  "$TFWS_ROOT/hack/testenv" build
  step "Starting testenv (etcd, kube-apiserver, controller-manager, scheduler, KWOK GPU nodes)"
  "$TFWS_ROOT/hack/testenv" up
  export KUBECONFIG=$TFWS_TESTENV_DIR/kubeconfig
}

stop_testenv() {
  step "Stopping testenv"
  "$TFWS_ROOT/hack/testenv" down || true
}
