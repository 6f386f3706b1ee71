#!/usr/bin/env bash
# Contract: the Loki sink against a real Loki push-API server (VictoriaLogs from hack/testenv,
# started here on a free loopback port with a temp data dir). Runs unit_observe's
# LokiSinkAgainstVictoriaLogs test, which pushes while the server is up, stopped and back, then
# checks via LogsQL that every accepted line arrived once, in order, with its labels and fields,
# and that lines past the buffer limit were counted as dropped.
source "$(dirname "${BASH_SOURCE[0]}")/observe/lib.sh"
need curl curl
UNIT=$BUILD/tests/unit_observe
[[ -x $UNIT ]] || { fail "$UNIT not built (ninja -C $BUILD unit_observe)"; finish; exit 1; }

STATE=$(mktemp -d /tmp/tfws-victorialogs.XXXXXX)
PORT=$(free_port)
VL="$OBSERVE_DIR/victorialogs.sh"
trap '"$VL" stop "$STATE"; rm -rf "$STATE"' EXIT

check "victoria-logs starts on 127.0.0.1:$PORT" "$VL" start "$STATE" "$PORT"
if TFWS_VICTORIALOGS_URL="http://127.0.0.1:$PORT" \
   TFWS_VICTORIALOGS_STOP_CMD="'$VL' stop '$STATE'" \
   TFWS_VICTORIALOGS_START_CMD="'$VL' start '$STATE' $PORT" \
   "$UNIT" --gtest_filter='LokiSinkAgainstVictoriaLogs.*' >"$STATE/test.out" 2>&1 &&
   grep -q '^\[  PASSED  \] 1 test' "$STATE/test.out"; then
  ok "push up / down / back: $(grep -o 'accepted .*LogsQL' "$STATE/test.out")"
else
  fail "push up / down / back (unit_observe --gtest_filter=LokiSinkAgainstVictoriaLogs.*)"
  grep -v '"logger":"loki-sink"' "$STATE/test.out" | tail -40 | sed 's/^/     /'
fi
finish
