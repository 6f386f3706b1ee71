# shellcheck shell=bash
# Shared by tests/contract/image_*.sh: they run the workspace image's own files (sshd_config,
# supervisord.conf, entrypoint.sh) with Debian's sshd, Jupyter Notebook 6.4 and supervisord, as a
# non-root user, on loopback ports, with image paths substituted into a private directory.
set -euo pipefail

ROOT=${TFWS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
IMAGE_DIR=$ROOT/images/tf29-workspace
# Debian's tools first: a Python from pyenv or pip must not shadow Debian's Jupyter.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

PASSED=0
FAILED=0
ok() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
finish() { echo "$PASSED passed, $FAILED failed"; ((FAILED == 0)); }

# Stops background servers started by the test, keeping the test's exit status.
BACKGROUND_PIDS=()
stop_background() {
  local pid
  for pid in "${BACKGROUND_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BACKGROUND_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  BACKGROUND_PIDS=()
}

require_commands() {
  local c missing=()
  for c in "$@"; do command -v "$c" >/dev/null || missing+=("$c"); done
  ((${#missing[@]} == 0)) || { echo "FAIL: missing commands: ${missing[*]} (run hack/install-deps)" >&2; exit 1; }
}

# Prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for "description" timeout_seconds command...: polls until the command succeeds.
wait_for() {
  local what=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "timed out after ${timeout}s waiting for $what" >&2; return 1; }
    sleep 0.2
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Sets RUN_USER, RUN_UID, RUN_GROUP and WORK (a private directory whose parents are not
# world-writable, as sshd's StrictModes requires). As root, the servers run as a dedicated
# non-root user "tfws-contract" (created once, like the image's tfws user); otherwise as the caller.
setup_user_and_workdir() {
  if [[ $(id -u) -eq 0 ]]; then
    RUN_USER=tfws-contract
    if ! getent passwd "$RUN_USER" >/dev/null; then
      useradd --no-create-home --home-dir /nonexistent --shell /bin/bash --user-group "$RUN_USER"
    fi
    WORK=$(mktemp -d /var/lib/tfws-contract.XXXXXX)
  else
    RUN_USER=$(id -un)
    mkdir -p "$HOME/.cache"
    WORK=$(mktemp -d "$HOME/.cache/tfws-contract.XXXXXX")
  fi
  chmod 0755 "$WORK"
  RUN_UID=$(id -u "$RUN_USER")
  RUN_GROUP=$(id -gn "$RUN_USER")
  set_as_user
}

# Runs a command as RUN_USER: "${AS_USER[@]}" cmd... (empty when the caller is that user). setpriv
# execs the command in place, so "$!" of `"${AS_USER[@]}" server &` is the server's own PID.
set_as_user() {
  AS_USER=()
  [[ $(id -un) == "$RUN_USER" ]] || AS_USER=(setpriv --reuid="$RUN_UID" --regid="$(id -g "$RUN_USER")" --init-groups --)
}
as_user() { "${AS_USER[@]}" "$@"; }

# Lays out the Pod's filesystem under $WORK like the workspace Pod has it:
#   home/tfws  emptyDir (world-writable, root-owned like kubelet makes it)
#   tmp        emptyDir
#   tf         the workspace PVC (Jupyter's notebook dir)
#   etc/tfws/ssh       the authorized keys Secret volume (see write_secret_volume), empty for now
#   etc/tfws/ssh-host  the host key Secret volume, empty for now
#   usr/local/bin/tfws-authorized-keys  the image's AuthorizedKeysCommand (root-owned, 0755)
make_pod_filesystem() {
  mkdir -p "$WORK"/{home/tfws,tmp,tf,etc/tfws/ssh,etc/tfws/ssh-host,usr/local/bin}
  chmod 0777 "$WORK/home/tfws"
  chmod 1777 "$WORK/tmp" "$WORK/etc/tfws/ssh" "$WORK/etc/tfws/ssh-host"
  chmod 0755 "$WORK/etc" "$WORK/etc/tfws" "$WORK/usr" "$WORK/usr/local" "$WORK/usr/local/bin"
  [[ $(id -u) -ne 0 ]] || chown "$RUN_USER:$RUN_GROUP" "$WORK/tf"
  install -m 0755 "$IMAGE_DIR/authorized-keys.sh" "$WORK/usr/local/bin/tfws-authorized-keys"
}

# write_secret_volume DIR SOURCE_DIR: makes DIR hold the files of SOURCE_DIR the way the kubelet
# writes a Secret volume, atomically: the files go into a new hidden timestamped directory, the
# symlink ..data is swapped to it with one rename, each file name is a symlink through ..data, and
# the previous directory is removed. The volume root is a world-writable tmpfs (1777); with fsGroup
# the files are root-owned, group fsGroup, mode 0440 (as root; the caller's 0400 otherwise).
write_secret_volume() {
  local dir=$1 source=$2 f name
  local stamp
  stamp=..$(date -u +%Y_%m_%d_%H_%M_%S.%N)
  local old
  old=$(readlink "$dir/..data" 2>/dev/null || true)
  mkdir -m 0755 "$dir/$stamp"
  for f in "$source"/*; do
    name=$(basename "$f")
    cp -- "$f" "$dir/$stamp/$name"
    if [[ $(id -u) -eq 0 ]]; then
      chown "root:$RUN_GROUP" "$dir/$stamp/$name"
      chmod 0440 "$dir/$stamp/$name"
    else
      chmod 0400 "$dir/$stamp/$name"
    fi
  done
  ln -sfn "$stamp" "$dir/..data_tmp"
  mv -T "$dir/..data_tmp" "$dir/..data"
  for f in "$source"/*; do
    name=$(basename "$f")
    [[ -L $dir/$name ]] || ln -s "..data/$name" "$dir/$name"
  done
  for f in "$dir"/*; do  # names no longer in the Secret
    [[ -e $source/$(basename "$f") ]] || rm -f -- "$f"
  done
  [[ -z $old ]] || rm -rf -- "${dir:?}/$old"
}

# Everything a contract test needs before it starts servers: the user and $WORK, the Pod's
# filesystem, and an EXIT trap that stops the background servers and removes $WORK (kept when
# TFWS_KEEP_WORKDIR is set) while preserving the test's exit status.
start_pod_sandbox() {
  setup_user_and_workdir
  trap _pod_sandbox_cleanup EXIT
  trap 'exit 143' TERM INT
  make_pod_filesystem
}
_pod_sandbox_cleanup() {
  local rc=$?
  set +e
  stop_background
  [[ -n ${TFWS_KEEP_WORKDIR:-} ]] && echo "kept $WORK" || rm -rf "$WORK"
  exit "$rc"
}

# The image's files with image paths replaced by $WORK paths (and the port/user of this run).
# Prints the substituted file's path. Only the listed substitutions are made, so the rest of the
# file is byte-for-byte what the image carries.
substitute() {  # source destination sed-expressions...
  local src=$1 dst=$2; shift 2
  local args=()
  local e
  for e in "$@"; do args+=(-e "$e"); done
  sed "${args[@]}" "$src" >"$dst"
  chmod 0644 "$dst"
}

# The image's sshd_config for this run: port, loopback listen address, $WORK paths and the run
# user substituted (8 lines; comments untouched); written to $WORK/etc/tfws/sshd_config.
render_sshd_config() {  # port
  substitute "$IMAGE_DIR/sshd_config" "$WORK/etc/tfws/sshd_config" \
    "s|^Port 2222$|Port $1|" \
    "s|^ListenAddress 0.0.0.0$|ListenAddress 127.0.0.1|" \
    "/^ListenAddress ::$/d" \
    "/^[^#]/s|/tmp/|$WORK/tmp/|g" \
    "s|^AuthorizedKeysCommand /usr/local/bin/\([^ ]*\) /etc/tfws/ssh/|AuthorizedKeysCommand $WORK/usr/local/bin/\1 $WORK/etc/tfws/ssh/|" \
    "s|^AuthorizedKeysCommandUser tfws$|AuthorizedKeysCommandUser $RUN_USER|" \
    "s|^AllowUsers tfws$|AllowUsers $RUN_USER|"
}

# Runs the image's entrypoint as RUN_USER with the Pod's environment and $WORK paths. Extra
# NAME=VALUE arguments come first and override the defaults.
# With RUN_EXEC=exec the calling (sub)shell is replaced, so `RUN_EXEC=exec run_entrypoint &` leaves
# "$!" = the PID that becomes supervisord (the entrypoint execs it), like PID 1 in the container.
run_entrypoint() {
  ${RUN_EXEC:-} "${AS_USER[@]}" env -i PATH="$PATH" HOME="$WORK/home/tfws" TFWS_SSH_ENABLED=true \
    TFWS_BASE_URL=/tfws/team-a/nb/ JUPYTER_TOKEN=contract-token \
    TFWS_SSH_RUNTIME_DIR="$WORK/tmp/tfws-ssh" \
    TFWS_AUTHORIZED_KEYS_SOURCE="$WORK/etc/tfws/ssh/authorized_keys" \
    TFWS_HOST_KEY_DIR="$WORK/etc/tfws/ssh-host" \
    TFWS_SUPERVISORD_CONF="$WORK/etc/tfws/supervisord.conf" \
    "$@" bash "$IMAGE_DIR/entrypoint.sh"
}
