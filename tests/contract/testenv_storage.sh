#!/usr/bin/env bash
# Contract (no cluster): the storage of a testenv nodes file, as hack/testenv and bench/scale use it.
#  - the default StorageClass binds Immediate unless storage.volumeBindingMode says
#    WaitForFirstConsumer; any other mode is refused, naming the field and the two it may be
#  - bench/scale's nodes file carries the mode it is given, and bench/scale refuses an unknown
#    --binding before it builds or starts anything
source "$(dirname "${BASH_SOURCE[0]}")/observe/lib.sh"
RENDER=$ROOT/hack/lib/testenv/render.py
WORK=$(mktemp -d /tmp/tfws-testenv-storage.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# nodes_file <path> [volumeBindingMode line]: one untainted node and a pool of 2 PVs.
nodes_file() {
  printf 'nodes:\n  - name: cpu\n    count: 1\nstorage:\n  storageClass: standard\n  pvCount: 2\n%s' "${2:-}" >"$1"
}
# refuses "<what>" <exit status> "<words>" command args...: ok when the command exits with that
# status and its output has <words>.
refuses() {
  local what=$1 status=$2 words=$3 out rc
  shift 3
  out=$("$@" 2>&1)
  rc=$?
  if ((rc == status)) && [[ $out == *"$words"* ]]; then
    ok "$what"
  else
    fail "$what: expected exit $status and \"$words\", got exit $rc: $out"
  fi
}
# The volumeBindingMode of the StorageClass rendered from nodes file $1 equals $2.
class_binds() {
  "$PY" "$RENDER" manifests "$1" | "$PY" -c '
import json, sys
objects = json.load(sys.stdin)
objects = objects.get("items", objects) if isinstance(objects, dict) else objects
modes = [o["volumeBindingMode"] for o in objects if o.get("kind") == "StorageClass"]
sys.exit(0 if modes == [sys.argv[1]] else "StorageClass volumeBindingMode %s, expected [%s]" % (modes, sys.argv[1]))
' "$2"
}

nodes_file "$WORK/default.yaml"
check "no storage.volumeBindingMode: the class binds Immediate" class_binds "$WORK/default.yaml" Immediate
nodes_file "$WORK/wffc.yaml" $'  volumeBindingMode: WaitForFirstConsumer\n'
check "storage.volumeBindingMode WaitForFirstConsumer reaches the class" \
  class_binds "$WORK/wffc.yaml" WaitForFirstConsumer

nodes_file "$WORK/bad.yaml" $'  volumeBindingMode: Later\n'
refuses "an unknown volumeBindingMode is refused, naming the field and the modes it may be" 1 \
  "storage.volumeBindingMode must be Immediate or WaitForFirstConsumer, not 'Later'" \
  "$PY" "$RENDER" manifests "$WORK/bad.yaml"

"$PY" "$ROOT/bench/scale_tool.py" nodes 10 WaitForFirstConsumer >"$WORK/bench.yaml"
check "bench/scale's nodes file binds in the mode it is given" class_binds "$WORK/bench.yaml" WaitForFirstConsumer

refuses "bench/scale refuses an unknown --binding before building anything (exit 2)" 2 \
  "--binding must be Immediate or WaitForFirstConsumer, not 'Later'" bash "$ROOT/bench/scale" --binding Later
finish
