#!/usr/bin/env bash
# Runs a private VictoriaLogs (the Loki push-API server of the tests) on loopback.
#   victorialogs.sh start STATE_DIR PORT   start (data in STATE_DIR/data, log in STATE_DIR/log), wait until ready
#   victorialogs.sh stop STATE_DIR         SIGTERM and wait (data is flushed on a clean stop)
# The binary is $TFWS_VICTORIALOGS_BIN, else victoria-logs in `hack/testenv bin`.
set -euo pipefail
ROOT=${TFWS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
cmd=${1:?usage: victorialogs.sh start|stop STATE_DIR [PORT]}
state=${2:?state dir}
bin=${TFWS_VICTORIALOGS_BIN:-$("$ROOT/hack/testenv" bin 2>/dev/null)/victoria-logs}

case $cmd in
  start)
    port=${3:?port}
    [[ -x $bin ]] || { echo "victoria-logs not found at $bin: run hack/testenv build" >&2; exit 1; }
    mkdir -p "$state/data"
    "$bin" -httpListenAddr="127.0.0.1:$port" -storageDataPath="$state/data" -retentionPeriod=7d \
      -inmemoryDataFlushInterval=1s -loggerLevel=WARN >>"$state/log" 2>&1 &
    echo $! >"$state/pid"
    for _ in $(seq 1 100); do
      if curl -fsS -o /dev/null "http://127.0.0.1:$port/health" 2>/dev/null; then exit 0; fi
      kill -0 "$(cat "$state/pid")" 2>/dev/null || { echo "victoria-logs exited:" >&2; tail -20 "$state/log" >&2; exit 1; }
      sleep 0.1
    done
    echo "victoria-logs did not become ready on 127.0.0.1:$port" >&2
    exit 1
    ;;
  stop)
    [[ -f $state/pid ]] || exit 0
    pid=$(cat "$state/pid")
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$state/pid"
    ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
