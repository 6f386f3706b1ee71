#!/usr/bin/env bash
# Contract: the workspace image's process tree — images/tf29-workspace/entrypoint.sh exec'ing
# Debian's supervisord with the image's supervisord.conf, which runs Debian's Jupyter Notebook and
# sshd — as a non-root user, on loopback ports, with image paths substituted. Shows:
#  - both programs start, and their log lines reach supervisord's stdout (the container's log)
#  - supervisord restarts a killed sshd and a killed Jupyter, which serve again
#  - with TFWS_SSH_ENABLED=false no sshd runs
#  - the entrypoint refuses a bad TFWS_BASE_URL and a missing keys Secret with a clear message
source "$(dirname "${BASH_SOURCE[0]}")/image/lib.sh"
require_commands supervisord sshd ssh ssh-keygen jupyter curl setpriv

start_pod_sandbox
SSH_PORT=$(free_port)
HTTP_PORT=$(free_port)
BASE=/tfws/team-a/nb/

render_sshd_config "$SSH_PORT"
substitute "$IMAGE_DIR/supervisord.conf" "$WORK/etc/tfws/supervisord.conf" \
  "s|-f /etc/tfws/sshd_config$|-f $WORK/etc/tfws/sshd_config|" \
  "s|/tmp/|$WORK/tmp/|g" \
  "s|=/tmp$|=$WORK/tmp|" \
  "s|--notebook-dir=/tf |--notebook-dir=$WORK/tf |" \
  "s|--ip=0.0.0.0 |--ip=127.0.0.1 |" \
  "s|--port=8888 |--port=$HTTP_PORT |"
changed=$(diff "$IMAGE_DIR/supervisord.conf" "$WORK/etc/tfws/supervisord.conf" | grep -c '^<' || true)
check "only 4 lines of the image's supervisord.conf are substituted (pidfile, childlogdir, jupyter and sshd commands; got $changed)" test "$changed" -eq 4
ssh-keygen -q -t ed25519 -N '' -C alice -f "$WORK/alice"
mkdir -p "$WORK/secret-keys"
cp "$WORK/alice.pub" "$WORK/secret-keys/authorized_keys"
write_secret_volume "$WORK/etc/tfws/ssh" "$WORK/secret-keys"

# --- entrypoint -> supervisord -> jupyter + sshd
start_workspace() {  # log file, extra NAME=VALUE for the entrypoint; sets SUP_PID
  # supervisord reopens /dev/stdout by path: the log file must belong to the user (a container's
  # stdout is a pipe, which any UID may reopen).
  : >"$1"
  [[ $(id -u) -ne 0 ]] || chown "$RUN_USER" "$1"
  RUN_EXEC=exec run_entrypoint "${@:2}" >"$1" 2>&1 &
  SUP_PID=$!
  BACKGROUND_PIDS+=("$SUP_PID")
}
child_pid() {  # program pattern: the PID of supervisord's child running it
  pgrep -P "$SUP_PID" -f "$1" | head -1 || true
}
ssh_login() {
  ssh -F /dev/null -p "$SSH_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
    -o IdentitiesOnly=yes -o ConnectTimeout=5 -o LogLevel=ERROR -i "$WORK/alice" "$RUN_USER@127.0.0.1" 'id -un' 2>&1
}
jupyter_ready() { curl -fsS "http://127.0.0.1:$HTTP_PORT${BASE}api" >/dev/null; }

LOG=$WORK/container.log
start_workspace "$LOG"
if wait_for "Jupyter" 60 jupyter_ready && wait_for "sshd" 30 port_open "$SSH_PORT"; then
  ok "entrypoint started supervisord with Jupyter (:$HTTP_PORT) and sshd (:$SSH_PORT)"
else
  fail "workspace did not start: $(tail -30 "$LOG")"
  finish
fi
sup_user=$(ps -o user= -p "$SUP_PID" | tr -d ' ')
check "supervisord runs as the non-root user ($sup_user), as PID of the entrypoint (exec)" test "$sup_user" = "$RUN_USER"
check "sshd login works under supervisord" grep -qx "$RUN_USER" <<<"$(ssh_login)"
check "Jupyter's log reaches the container's stdout" wait_for "Jupyter's log" 10 grep -q "Jupyter Notebook .* is running at" "$LOG"
check "sshd's log (the login) reaches the container's stdout" wait_for "sshd's log" 10 grep -q "Accepted publickey for $RUN_USER from 127.0.0.1" "$LOG"
check "supervisord's own log reaches the container's stdout" wait_for "supervisord's log" 10 grep -q "success: jupyter entered RUNNING state" "$LOG"

# Kill sshd: supervisord restarts it.
old=$(child_pid sshd)
kill -KILL "$old"
if wait_for "a new sshd" 30 bash -c "[[ -n \$(pgrep -P $SUP_PID -f sshd) && \$(pgrep -P $SUP_PID -f sshd) != $old ]]" &&
  wait_for "sshd port" 15 port_open "$SSH_PORT"; then
  ok "a killed sshd is restarted (pid $old -> $(child_pid sshd))"
else
  fail "sshd was not restarted: $(tail -10 "$LOG")"
fi
check "after the restart a key login works again" grep -qx "$RUN_USER" <<<"$(ssh_login)"
check "supervisord logged the unexpected exit of sshd" grep -q "exited: sshd (terminated by SIGKILL; not expected)" "$LOG"

# Kill Jupyter: supervisord restarts it.
old=$(child_pid "jupyter.*notebook")
kill -KILL "$old"
if wait_for "a new Jupyter" 30 bash -c "[[ -n \$(pgrep -P $SUP_PID -f 'jupyter.*notebook') && \$(pgrep -P $SUP_PID -f 'jupyter.*notebook') != $old ]]" &&
  wait_for "Jupyter API" 60 jupyter_ready; then
  ok "a killed Jupyter is restarted and serves ${BASE}api again (pid $old -> $(child_pid "jupyter.*notebook"))"
else
  fail "Jupyter was not restarted: $(tail -10 "$LOG")"
fi
check "supervisord logged the unexpected exit of jupyter" grep -q "exited: jupyter (terminated by SIGKILL; not expected)" "$LOG"
check "token auth: Jupyter runs without --NotebookApp.token" bash -c "! pgrep -P $SUP_PID -af 'NotebookApp.token' >/dev/null"
check "the restarted Jupyter still requires the token" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT${BASE}api/status")" = 403

# Stopping the container (SIGTERM to PID 1 = supervisord) stops both programs.
kill -TERM "$SUP_PID"
wait "$SUP_PID" 2>/dev/null || true
BACKGROUND_PIDS=()
check "SIGTERM to supervisord stops Jupyter and sshd" \
  bash -c "! pgrep -u $RUN_USER -f '$WORK/etc/tfws/sshd_config' && ! pgrep -u $RUN_USER -f 'port=$HTTP_PORT'"

# --- TFWS_SSH_ENABLED=false and TFWS_JUPYTER_AUTH=none (an Ingress auth proxy authenticates).
LOG2=$WORK/container-nossh.log
start_workspace "$LOG2" TFWS_SSH_ENABLED=false TFWS_JUPYTER_AUTH=none JUPYTER_TOKEN=
if wait_for "Jupyter" 60 jupyter_ready; then
  sleep 3  # sshd would be up within supervisord's startsecs
  check "with TFWS_SSH_ENABLED=false no sshd runs" bash -c "[[ -z \$(pgrep -P $SUP_PID -f sshd) ]] && ! (exec 3<>/dev/tcp/127.0.0.1/$SSH_PORT) 2>/dev/null"
  check "with TFWS_JUPYTER_AUTH=none Jupyter runs with --NotebookApp.token= and needs no token" \
    bash -c "pgrep -P $SUP_PID -af 'jupyter.*--NotebookApp.token=\$' >/dev/null && [[ \$(curl -s -o /dev/null -w '%{http_code}' 'http://127.0.0.1:$HTTP_PORT${BASE}api/status') == 200 ]]"
else
  fail "Jupyter did not start without SSH: $(tail -20 "$LOG2")"
fi
stop_background

# --- The entrypoint refuses what it cannot run, naming the variable and the fix.
out=$(run_entrypoint TFWS_BASE_URL="/tfws/a b/" 2>&1 || true)
check "a bad TFWS_BASE_URL is refused by name" grep -q 'TFWS_BASE_URL: Invalid value: "/tfws/a b/": must start and end with' <<<"$out"
out=$(run_entrypoint TFWS_BASE_URL=/tfws/team-a/nb 2>&1 || true)
check "a TFWS_BASE_URL without the trailing slash is refused" grep -q 'TFWS_BASE_URL: Invalid value' <<<"$out"
out=$(run_entrypoint TFWS_SSH_ENABLED=yes-please 2>&1 || true)
check "a bad TFWS_SSH_ENABLED is refused by name" grep -q 'TFWS_SSH_ENABLED: Invalid value: "yes-please": must be true or false' <<<"$out"
out=$(run_entrypoint TFWS_JUPYTER_AUTH=password 2>&1 || true)
check "a bad TFWS_JUPYTER_AUTH is refused by name" grep -q 'TFWS_JUPYTER_AUTH: Invalid value: "password": must be token or none' <<<"$out"
out=$(run_entrypoint TFWS_AUTHORIZED_KEYS_SOURCE="$WORK/etc/tfws/ssh/missing" 2>&1 || true)
check "SSH on without the keys Secret is refused, naming the file" grep -q "missing: not found: TFWS_SSH_ENABLED=true needs the authorized keys Secret" <<<"$out"
check "without a mounted host key the entrypoint generates one for this start and says so" \
  grep -q "warning: no host key at .*generated one for this start only" "$LOG"

finish
