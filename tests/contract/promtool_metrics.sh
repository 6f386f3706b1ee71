#!/usr/bin/env bash
# Contract (no cluster): `promtool check metrics` is clean on a scrape holding every metric
# family the operator exports (written by unit_observe's ExpositionDump test with the real
# prometheus-cpp serializer).
source "$(dirname "${BASH_SOURCE[0]}")/observe/lib.sh"
need promtool prometheus
UNIT=$BUILD/tests/unit_observe
[[ -x $UNIT ]] || { fail "$UNIT not built (ninja -C $BUILD unit_observe)"; finish; exit 1; }

DUMP=$(mktemp /tmp/tfws-metrics.XXXXXX)
trap 'rm -f "$DUMP"' EXIT
check "unit_observe writes a full exposition" env TFWS_METRICS_DUMP="$DUMP" "$UNIT" --gtest_filter='ExpositionDump.*'
for family in rest_client_requests_total rest_client_request_duration_seconds workqueue_depth \
  workqueue_adds_total workqueue_retries_total workqueue_queue_duration_seconds \
  workqueue_work_duration_seconds workqueue_unfinished_work_seconds \
  workqueue_longest_running_processor_seconds controller_runtime_reconcile_total \
  controller_runtime_reconcile_errors_total controller_runtime_reconcile_time_seconds \
  controller_runtime_active_workers controller_runtime_max_concurrent_reconciles \
  leader_election_master_status tfws_workspaces tfws_workspace_info tfws_workspace_gpus_allocated \
  tfws_workspace_startup_seconds tfws_workspace_restarts_total tfws_workspace_stops_total \
  tfws_log_lines_dropped_total; do
  if grep -q "^# TYPE $family " "$DUMP"; then ok "exports $family"; else fail "exports $family"; fi
done
check "promtool check metrics is clean" bash -c "out=\$(promtool check metrics <'$DUMP' 2>&1); rc=\$?; echo \"\$out\"; [[ \$rc -eq 0 && -z \$out ]]"
finish
