#!/usr/bin/env bash
# Contract: the workspace image's sshd (images/tf29-workspace/sshd_config + entrypoint.sh) with
# Debian's OpenSSH sshd, run as a NON-root user on a loopback port, the way the image runs it:
#  - the entrypoint generates host keys and copies the Secret's authorized_keys to a 0600 file
#  - a listed key logs in (as the workspace user) and the session gets the container's environment
#  - an unlisted key, passwords, keyboard-interactive and root are refused
#  - StrictModes refuses a group-writable authorized_keys; remote port forwarding is refused
source "$(dirname "${BASH_SOURCE[0]}")/image/lib.sh"
require_commands sshd ssh ssh-keygen setpriv

start_pod_sandbox
PORT=$(free_port)

# --- The image's sshd_config, with only paths, port, listen address and user substituted.
CONFIG=$WORK/etc/tfws/sshd_config
render_sshd_config "$PORT"
changed=$(diff "$IMAGE_DIR/sshd_config" "$CONFIG" | grep -c '^<' || true)
check "only the 9 path/port/user lines of the image's sshd_config are substituted (got $changed)" test "$changed" -eq 9

# --- Users' keys: alice is in the TFWorkspace's authorized keys, mallory is not.
ssh-keygen -q -t ed25519 -N '' -C alice -f "$WORK/alice"
ssh-keygen -q -t ed25519 -N '' -C mallory -f "$WORK/mallory"
cp "$WORK/alice.pub" "$WORK/etc/tfws/ssh/authorized_keys"
chmod 0644 "$WORK/etc/tfws/ssh/authorized_keys"

# --- The image's entrypoint prepares sshd (supervisord replaced by a stub that only records).
mkdir -p "$WORK/stub-bin"
printf '#!/bin/sh\necho "supervisord $*" > "%s/supervisord.called"\n' "$WORK" >"$WORK/stub-bin/supervisord"
chmod 0755 "$WORK/stub-bin/supervisord"
chmod 0777 "$WORK"  # the stub writes its record here as the user
if as_user env -i PATH="$WORK/stub-bin:$PATH" HOME="$WORK/home/tfws" \
  TFWS_SSH_ENABLED=true TFWS_BASE_URL=/tfws/team-a/nb/ JUPYTER_TOKEN=t0ken \
  LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/nvidia/lib64 NVIDIA_VISIBLE_DEVICES=all \
  TFWS_SSH_RUNTIME_DIR="$WORK/tmp/tfws-ssh" \
  TFWS_AUTHORIZED_KEYS_SOURCE="$WORK/etc/tfws/ssh/authorized_keys" \
  TFWS_AUTHORIZED_KEYS_DIR="$WORK/var/lib/tfws/ssh" \
  TFWS_SUPERVISORD_CONF="$WORK/supervisord.conf" \
  bash "$IMAGE_DIR/entrypoint.sh" 2>"$WORK/entrypoint.log"; then
  ok "entrypoint prepared sshd and exec'd supervisord ($(cat "$WORK/supervisord.called"))"
else
  fail "entrypoint failed: $(cat "$WORK/entrypoint.log")"
fi
chmod 0755 "$WORK"
keys=$WORK/var/lib/tfws/ssh/authorized_keys
check "authorized_keys copied from the Secret, mode 0600, owned by the user" \
  test "$(stat -c '%a %U' "$keys" 2>/dev/null)" = "600 $RUN_USER"
check "authorized_keys content = the Secret's" cmp -s "$keys" "$WORK/etc/tfws/ssh/authorized_keys"
check "host keys generated at start, mode 0600, owned by the user" \
  test "$(stat -c '%a %U' "$WORK"/tmp/tfws-ssh/ssh_host_{ed25519,ecdsa}_key 2>/dev/null | sort -u)" = "600 $RUN_USER"
check "host keys differ per start (never baked into the image)" \
  test -z "$(grep -l "$(cut -d' ' -f2 "$WORK/tmp/tfws-ssh/ssh_host_ed25519_key.pub")" "$IMAGE_DIR"/* 2>/dev/null)"

# --- sshd, as the non-root user.
check "sshd -t accepts the config" as_user /usr/sbin/sshd -t -f "$CONFIG"
"${AS_USER[@]}" /usr/sbin/sshd -D -e -f "$CONFIG" 2>"$WORK/sshd.log" &
SSHD_PID=$!
BACKGROUND_PIDS+=("$SSHD_PID")
if ! wait_for "sshd on 127.0.0.1:$PORT" 15 port_open "$PORT"; then
  fail "sshd did not start: $(cat "$WORK/sshd.log")"
  finish
fi
sshd_user=$(ps -o user= -p "$SSHD_PID" | tr -d ' ')
check "sshd runs as the non-root user ($sshd_user)" test "$sshd_user" = "$RUN_USER"

# Host key pinned: the client trusts only the key the entrypoint generated.
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$WORK/tmp/tfws-ssh/ssh_host_ed25519_key.pub")" >"$WORK/known_hosts"
ssh_to() {  # user, remote command, then ssh options
  local user=$1 command=$2; shift 2
  ssh -F /dev/null -p "$PORT" -o UserKnownHostsFile="$WORK/known_hosts" -o StrictHostKeyChecking=yes \
    -o HostKeyAlgorithms=ssh-ed25519 -o BatchMode=yes -o ConnectTimeout=10 -o IdentitiesOnly=yes \
    -o LogLevel=ERROR "$@" "$user@127.0.0.1" "$command" 2>&1
}

out=$(ssh_to "$RUN_USER" 'id -un; echo "LD=$LD_LIBRARY_PATH"; echo "GPU=$NVIDIA_VISIBLE_DEVICES"; echo "TOKEN=${JUPYTER_TOKEN:-unset}"' -i "$WORK/alice" || true)
check "a listed key logs in as the workspace user" grep -qx "$RUN_USER" <<<"$out"
check "the session has the container's CUDA library path" grep -qx "LD=/usr/local/cuda/lib64:/usr/local/nvidia/lib64" <<<"$out"
check "the session has NVIDIA_VISIBLE_DEVICES" grep -qx "GPU=all" <<<"$out"
check "the session does not see the Jupyter token" grep -qx "TOKEN=unset" <<<"$out"

out=$(ssh_to "$RUN_USER" true -i "$WORK/mallory" || true)
check "an unlisted key is refused" grep -q "Permission denied (publickey)" <<<"$out"

out=$(ssh_to "$RUN_USER" true -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive || true)
check "password and keyboard-interactive logins are refused (only publickey is offered)" \
  grep -q "Permission denied (publickey)" <<<"$out"
methods=$( (ssh_to "$RUN_USER" true -v -o PubkeyAuthentication=no || true) | tr -d '\r' | sed -n 's/.*Authentications that can continue: //p' | sort -u)
check "the server offers exactly one method: publickey (got: $methods)" test "$methods" = publickey

out=$(ssh_to root true -i "$WORK/alice" || true)
check "root is refused, even with a listed key" grep -q "Permission denied (publickey)" <<<"$out"
check "sshd logs why root was refused" grep -q "User root .*not allowed" "$WORK/sshd.log"

out=$(ssh_to "$RUN_USER" true -i "$WORK/alice" -o ExitOnForwardFailure=yes -R "127.0.0.1:$(free_port):127.0.0.1:22" || true)
check "remote port forwarding is refused" grep -qi "remote port forwarding failed" <<<"$out"

# (Debian's and Ubuntu's sshd accept group-writable files when the group is the user's private group.)
chmod 0606 "$keys"
out=$(ssh_to "$RUN_USER" true -i "$WORK/alice" || true)
check "StrictModes: a world-writable authorized_keys is refused" grep -q "Permission denied (publickey)" <<<"$out"
check "sshd logs the bad mode" grep -q "bad ownership or modes" "$WORK/sshd.log"
chmod 0600 "$keys"

# The design in one check: authorized_keys under HOME (an emptyDir, world-writable) would be refused.
cp "$keys" "$WORK/home/tfws/authorized_keys" && chown "$RUN_USER" "$WORK/home/tfws/authorized_keys" 2>/dev/null || true
chmod 0600 "$WORK/home/tfws/authorized_keys"
sed "s|^AuthorizedKeysFile .*|AuthorizedKeysFile $WORK/home/tfws/authorized_keys|; s|^Port .*|Port $((PORT == 65535 ? PORT - 1 : PORT + 1))|" "$CONFIG" >"$WORK/sshd_config.in-home"
chmod 0644 "$WORK/sshd_config.in-home"
"${AS_USER[@]}" /usr/sbin/sshd -D -e -f "$WORK/sshd_config.in-home" 2>"$WORK/sshd-in-home.log" &
in_home_pid=$!
BACKGROUND_PIDS+=("$in_home_pid")
if wait_for "second sshd" 10 port_open "$((PORT == 65535 ? PORT - 1 : PORT + 1))"; then
  out=$(ssh -F /dev/null -p "$((PORT == 65535 ? PORT - 1 : PORT + 1))" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR -i "$WORK/alice" "$RUN_USER@127.0.0.1" true 2>&1 || true)
  check "why keys live outside HOME: under a world-writable emptyDir HOME sshd refuses them" \
    grep -q "Permission denied (publickey)" <<<"$out"
else
  fail "second sshd did not start: $(cat "$WORK/sshd-in-home.log")"
fi

finish
