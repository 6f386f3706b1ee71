#!/usr/bin/env bash
# Contract: the workspace image's sshd (images/tf29-workspace/sshd_config, entrypoint.sh and
# authorized-keys.sh) with Debian's OpenSSH sshd, run as a NON-root user on a loopback port, the way
# the image runs it, with the two Secret volumes laid out as the kubelet writes them (world-writable
# tmpfs root, files behind the ..data symlink, updated by an atomic symlink swap):
#  - the entrypoint uses the mounted host key; the host key is the same after an sshd restart
#  - a listed key logs in (as the workspace user) and the session gets the container's environment;
#    env values with line breaks never reach sshd's configuration
#  - a key added to the Secret logs in, a removed key is refused, without restarting sshd
#  - an unlisted key, passwords, keyboard-interactive and root are refused; remote forwarding too
#  - why a command reads the keys: StrictModes refuses an AuthorizedKeysFile in the Secret volume
source "$(dirname "${BASH_SOURCE[0]}")/image/lib.sh"
require_commands sshd ssh ssh-keygen ssh-keyscan setpriv

start_pod_sandbox
PORT=$(free_port)

# --- The image's sshd_config, with only paths, port, listen address and user substituted.
CONFIG=$WORK/etc/tfws/sshd_config
render_sshd_config "$PORT"
changed=$(diff "$IMAGE_DIR/sshd_config" "$CONFIG" | grep -c '^<' || true)
check "only the 8 path/port/user lines of the image's sshd_config are substituted (got $changed)" test "$changed" -eq 8

# --- Users' keys (alice is in the TFWorkspace's keys, bob is added later, mallory never) and the
# workspace's host key, as the operator puts them in the two Secrets.
for user in alice bob mallory; do ssh-keygen -q -t ed25519 -N '' -C "$user" -f "$WORK/$user"; done
mkdir -p "$WORK/secret-keys" "$WORK/secret-host"
cp "$WORK/alice.pub" "$WORK/secret-keys/authorized_keys"
ssh-keygen -q -t ed25519 -N '' -C tfws-workspace-host -f "$WORK/secret-host/ssh_host_ed25519_key"
write_secret_volume "$WORK/etc/tfws/ssh" "$WORK/secret-keys"
write_secret_volume "$WORK/etc/tfws/ssh-host" "$WORK/secret-host"
host_fingerprint=$(ssh-keygen -l -f "$WORK/secret-host/ssh_host_ed25519_key.pub" | cut -d' ' -f2)

# --- The image's entrypoint prepares sshd (supervisord replaced by a stub that only records).
mkdir -p "$WORK/stub-bin"
printf '#!/bin/sh\necho "supervisord $*" > "%s/supervisord.called"\n' "$WORK" >"$WORK/stub-bin/supervisord"
chmod 0755 "$WORK/stub-bin/supervisord"
chmod 0777 "$WORK"  # the stub writes its record here as the user
if as_user env -i PATH="$WORK/stub-bin:$PATH" HOME="$WORK/home/tfws" \
  TFWS_SSH_ENABLED=true TFWS_BASE_URL=/tfws/team-a/nb/ JUPYTER_TOKEN=t0ken \
  LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/nvidia/lib64 NVIDIA_VISIBLE_DEVICES=all \
  PYTHONPATH=$'/opt/lib\nPermitRootLogin yes' XLA_FLAGS=$'--x\rAuthorizedKeysFile /tmp/k' \
  TFWS_SSH_RUNTIME_DIR="$WORK/tmp/tfws-ssh" \
  TFWS_AUTHORIZED_KEYS_SOURCE="$WORK/etc/tfws/ssh/authorized_keys" \
  TFWS_HOST_KEY_DIR="$WORK/etc/tfws/ssh-host" \
  TFWS_SUPERVISORD_CONF="$WORK/supervisord.conf" \
  bash "$IMAGE_DIR/entrypoint.sh" 2>"$WORK/entrypoint.log"; then
  ok "entrypoint prepared sshd and exec'd supervisord ($(cat "$WORK/supervisord.called"))"
else
  fail "entrypoint failed: $(cat "$WORK/entrypoint.log")"
fi
chmod 0755 "$WORK"
session_conf=$WORK/tmp/tfws-ssh/session-environment.conf
check "env values with line breaks never reach the sshd include (2 lines, no injected directive)" \
  test "$(wc -l <"$session_conf")" -eq 2 -a -z "$(grep -E 'PermitRootLogin|AuthorizedKeysFile|/opt/lib' "$session_conf")"
check "the entrypoint says which variables it left out" \
  grep -q "PYTHONPATH is not passed to SSH sessions" "$WORK/entrypoint.log"
check "sshd uses the mounted host key (HostKey line written to the runtime include)" \
  test "$(cat "$WORK/tmp/tfws-ssh/host-key.conf")" = "HostKey $WORK/etc/tfws/ssh-host/ssh_host_ed25519_key"
check "the entrypoint logs the host key's SHA256 fingerprint ($host_fingerprint)" \
  grep -q "ssh: host key $host_fingerprint " "$WORK/entrypoint.log"
check "no key is generated or copied when the Secrets are mounted" \
  test -z "$(find "$WORK/tmp" -name '*key*' -not -name host-key.conf)"

# --- sshd, as the non-root user.
check "sshd -t accepts the config" as_user /usr/sbin/sshd -t -f "$CONFIG"
start_sshd() {  # sets SSHD_PID
  "${AS_USER[@]}" /usr/sbin/sshd -D -e -f "$CONFIG" 2>>"$WORK/sshd.log" &
  SSHD_PID=$!
  BACKGROUND_PIDS+=("$SSHD_PID")
  wait_for "sshd on 127.0.0.1:$PORT" 15 port_open "$PORT"
}
if ! start_sshd; then
  fail "sshd did not start: $(cat "$WORK/sshd.log")"
  finish
fi
sshd_user=$(ps -o user= -p "$SSHD_PID" | tr -d ' ')
check "sshd runs as the non-root user ($sshd_user)" test "$sshd_user" = "$RUN_USER"

# Host key pinned: the client trusts only the workspace's key from the Secret.
echo "[127.0.0.1]:$PORT $(cut -d' ' -f1,2 "$WORK/secret-host/ssh_host_ed25519_key.pub")" >"$WORK/known_hosts"
ssh_to() {  # user, remote command, then ssh options
  local user=$1 command=$2; shift 2
  ssh -F /dev/null -p "$PORT" -o UserKnownHostsFile="$WORK/known_hosts" -o StrictHostKeyChecking=yes \
    -o HostKeyAlgorithms=ssh-ed25519 -o BatchMode=yes -o ConnectTimeout=10 -o IdentitiesOnly=yes \
    -o LogLevel=ERROR "$@" "$user@127.0.0.1" "$command" 2>&1
}
logs_in() { ssh_to "$RUN_USER" 'id -un' -i "$WORK/$1" | grep -qx "$RUN_USER"; }
refused() { { ssh_to "$RUN_USER" true -i "$WORK/$1" || true; } | grep -q "Permission denied (publickey)"; }

out=$(ssh_to "$RUN_USER" 'id -un; echo "LD=$LD_LIBRARY_PATH"; echo "GPU=$NVIDIA_VISIBLE_DEVICES"; echo "TOKEN=${JUPYTER_TOKEN:-unset}"' -i "$WORK/alice" || true)
check "a listed key logs in as the workspace user (host key pinned to the Secret's)" grep -qx "$RUN_USER" <<<"$out"
check "the session has the container's CUDA library path" grep -qx "LD=/usr/local/cuda/lib64:/usr/local/nvidia/lib64" <<<"$out"
check "the session has NVIDIA_VISIBLE_DEVICES" grep -qx "GPU=all" <<<"$out"
check "the session does not see the Jupyter token" grep -qx "TOKEN=unset" <<<"$out"
check "an unlisted key is refused" refused mallory
check "bob is not listed yet" refused bob

# --- The Secret changes (kubelet's atomic ..data swap); sshd keeps running.
cat "$WORK/bob.pub" >>"$WORK/secret-keys/authorized_keys"
write_secret_volume "$WORK/etc/tfws/ssh" "$WORK/secret-keys"
start=$SECONDS
if wait_for "bob's login" 60 logs_in bob; then
  ok "a key added to the Secret logs in without a restart (after $((SECONDS - start))s; limit 60s)"
else
  fail "a key added to the Secret did not log in within 60s: $(tail -5 "$WORK/sshd.log")"
fi
cp "$WORK/bob.pub" "$WORK/secret-keys/authorized_keys"
write_secret_volume "$WORK/etc/tfws/ssh" "$WORK/secret-keys"
start=$SECONDS
if wait_for "alice's refusal" 60 refused alice; then
  ok "a key removed from the Secret is refused without a restart (after $((SECONDS - start))s; limit 60s)"
else
  fail "a key removed from the Secret still logged in after 60s"
fi
check "bob still logs in" logs_in bob
check "sshd was not restarted meanwhile (same PID $SSHD_PID)" kill -0 "$SSHD_PID"
check "only one timestamped directory is left in the keys volume (the swap removed the old one)" \
  test "$(find "$WORK/etc/tfws/ssh" -maxdepth 1 -name '..2*' | wc -l)" -eq 1

# A line with authorized_keys options never reaches sshd (the command prints plain keys only).
{ echo "# alice, with a forced command"; echo "command=\"id\",no-pty $(cat "$WORK/alice.pub")"; cat "$WORK/bob.pub"; } \
  >"$WORK/secret-keys/authorized_keys"
write_secret_volume "$WORK/etc/tfws/ssh" "$WORK/secret-keys"
check "a key line with options is dropped by tfws-authorized-keys" refused alice

# --- Host key stable across an sshd restart (the Pod restarting mounts the same Secret).
kill "$SSHD_PID"; wait "$SSHD_PID" 2>/dev/null || true
if start_sshd; then
  scanned=$(ssh-keyscan -p "$PORT" -t ed25519 127.0.0.1 2>/dev/null | ssh-keygen -l -f - | cut -d' ' -f2)
  check "after an sshd restart the host key fingerprint is the same ($scanned)" test "$scanned" = "$host_fingerprint"
  check "and the pinned known_hosts still logs in" logs_in bob
else
  fail "sshd did not restart: $(tail -5 "$WORK/sshd.log")"
fi

# --- What is refused.
out=$(ssh_to "$RUN_USER" true -o PubkeyAuthentication=no -o PreferredAuthentications=password,keyboard-interactive || true)
check "password and keyboard-interactive logins are refused (only publickey is offered)" \
  grep -q "Permission denied (publickey)" <<<"$out"
methods=$( (ssh_to "$RUN_USER" true -v -o PubkeyAuthentication=no || true) | tr -d '\r' | sed -n 's/.*Authentications that can continue: //p' | sort -u)
check "the server offers exactly one method: publickey (got: $methods)" test "$methods" = publickey

out=$(ssh_to root true -i "$WORK/bob" || true)
check "root is refused, even with a listed key" grep -q "Permission denied (publickey)" <<<"$out"
check "sshd logs why root was refused" grep -q "User root .*not allowed" "$WORK/sshd.log"

out=$(ssh_to "$RUN_USER" true -i "$WORK/bob" -o ExitOnForwardFailure=yes -R "127.0.0.1:$(free_port):127.0.0.1:22" || true)
check "remote port forwarding is refused" grep -qi "remote port forwarding failed" <<<"$out"

# --- The design in one check: sshd reading the Secret volume's file itself is refused by StrictModes.
other_port=$(free_port)  # not PORT+1: that port may belong to anything else on the machine
sed -e "s|^AuthorizedKeysFile .*|AuthorizedKeysFile $WORK/etc/tfws/ssh/authorized_keys|" \
  -e "/^AuthorizedKeysCommand/d" -e "s|^Port .*|Port $other_port|" "$CONFIG" >"$WORK/sshd_config.file-in-secret"
chmod 0644 "$WORK/sshd_config.file-in-secret"
"${AS_USER[@]}" /usr/sbin/sshd -D -e -f "$WORK/sshd_config.file-in-secret" 2>"$WORK/sshd-file.log" &
BACKGROUND_PIDS+=("$!")
if wait_for "second sshd" 10 port_open "$other_port"; then
  out=$(ssh -F /dev/null -p "$other_port" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR -i "$WORK/bob" "$RUN_USER@127.0.0.1" true 2>&1 || true)
  check "why a command reads the keys: an AuthorizedKeysFile in the Secret volume is refused by StrictModes" \
    grep -q "Permission denied (publickey)" <<<"$out"
  check "sshd logs the bad mode of the volume" grep -q "bad ownership or modes" "$WORK/sshd-file.log"
else
  fail "second sshd did not start: $(cat "$WORK/sshd-file.log")"
fi

finish
