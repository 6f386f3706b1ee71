#!/bin/bash
# tfws-entrypoint: the ENTRYPOINT of tfws/tf29-workspace. Runs as the workspace user (non-root).
#
# Reads the environment the tfws operator sets on the workspace container:
#   TFWS_BASE_URL     Jupyter base URL, e.g. /tfws/<namespace>/<name>/ (default /)
#   TFWS_SSH_ENABLED  true|false: start sshd on port 2222 (default false)
#   TFWS_JUPYTER_AUTH token|none: Jupyter's own token auth, or none when the Ingress' auth proxy
#                     authenticates (default token)
#   JUPYTER_TOKEN     Jupyter's token (read by Jupyter itself; never logged here)
# the authorized keys Secret mounted at /etc/tfws/ssh/authorized_keys (sshd reads it at every login
# through tfws-authorized-keys, so it is only checked here) and the workspace's host key Secret
# mounted at /etc/tfws/ssh-host.
#
# Then: validates them, points sshd at the mounted host key (or, when none is mounted, generates one
# for this start only, with a warning), writes the session environment for SSH logins, and execs
# supervisord (Jupyter + optional sshd, all logs on stdout). Writes only under /tmp. Fails with a
# message naming the variable or file and the fix. Paths are overridable (TFWS_*) only so the
# contract tests can run it outside a container; the image never sets them.
set -euo pipefail

SSH_RUNTIME_DIR=${TFWS_SSH_RUNTIME_DIR:-/tmp/tfws-ssh}
AUTHORIZED_KEYS_SOURCE=${TFWS_AUTHORIZED_KEYS_SOURCE:-/etc/tfws/ssh/authorized_keys}
HOST_KEY_DIR=${TFWS_HOST_KEY_DIR:-/etc/tfws/ssh-host}
SUPERVISORD_CONF=${TFWS_SUPERVISORD_CONF:-/etc/tfws/supervisord.conf}
# Variables SSH sessions inherit from the container (sshd starts sessions with a clean environment).
SESSION_ENV_NAMES=(PATH LD_LIBRARY_PATH LANG LC_ALL TZ CUDA_VERSION NVIDIA_VISIBLE_DEVICES
  NVIDIA_DRIVER_CAPABILITIES NVIDIA_REQUIRE_CUDA TF_CPP_MIN_LOG_LEVEL TF_FORCE_GPU_ALLOW_GROWTH
  XLA_FLAGS PYTHONPATH TFWS_BASE_URL)

log() { printf 'tfws-entrypoint: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

validate_environment() {
  TFWS_BASE_URL=${TFWS_BASE_URL:-/}
  # Leading and trailing slash, URL path characters only (it is expanded inside supervisord.conf,
  # so '%' and spaces are refused rather than escaped).
  [[ $TFWS_BASE_URL =~ ^/([A-Za-z0-9._~-]+/)*$ ]] ||
    die "TFWS_BASE_URL: Invalid value: \"$TFWS_BASE_URL\": must start and end with '/' and contain only letters, digits and . _ ~ - (e.g. /tfws/team-a/my-notebook/)"
  case ${TFWS_SSH_ENABLED:-false} in
    true | True | TRUE | 1) TFWS_SSH_ENABLED=true ;;
    false | False | FALSE | 0 | "") TFWS_SSH_ENABLED=false ;;
    *) die "TFWS_SSH_ENABLED: Invalid value: \"$TFWS_SSH_ENABLED\": must be true or false" ;;
  esac
  case ${TFWS_JUPYTER_AUTH:-token} in
    token)
      TFWS_JUPYTER_AUTH=token TFWS_JUPYTER_AUTH_ARGS=""
      [[ -n ${JUPYTER_TOKEN:-} ]] ||
        log "warning: JUPYTER_TOKEN is empty: Jupyter generates a random token nobody knows (mount the <name>-token Secret)"
      ;;
    # An empty JUPYTER_TOKEN would make Jupyter generate a random token: switch auth off explicitly.
    none) TFWS_JUPYTER_AUTH_ARGS="--NotebookApp.token=" ;;
    *) die "TFWS_JUPYTER_AUTH: Invalid value: \"$TFWS_JUPYTER_AUTH\": must be token or none" ;;
  esac
  export TFWS_BASE_URL TFWS_SSH_ENABLED TFWS_JUPYTER_AUTH TFWS_JUPYTER_AUTH_ARGS
}

# sshd_config includes $SSH_RUNTIME_DIR/*.conf: the HostKey line goes there.
configure_host_key() {
  mkdir -p "$SSH_RUNTIME_DIR"
  chmod 0700 "$SSH_RUNTIME_DIR"
  local key=$HOST_KEY_DIR/ssh_host_ed25519_key
  if [[ ! -r $key ]]; then
    key=$SSH_RUNTIME_DIR/ssh_host_ed25519_key
    log "warning: no host key at $HOST_KEY_DIR/ssh_host_ed25519_key (the operator mounts the workspace's <name>-ssh-host Secret there): generated one for this start only, SSH clients will see another host key after a restart"
    [[ -s $key ]] || ssh-keygen -q -t ed25519 -N '' -C "tfws-workspace-host" -f "$key"
  fi
  echo "HostKey $key" >"$SSH_RUNTIME_DIR/host-key.conf"
  chmod 0600 "$SSH_RUNTIME_DIR/host-key.conf"
  log "ssh: host key $(ssh-keygen -l -f "$key" | cut -d' ' -f2) ($key)"
}

check_authorized_keys() {
  [[ -r $AUTHORIZED_KEYS_SOURCE ]] ||
    die "$AUTHORIZED_KEYS_SOURCE: not found: TFWS_SSH_ENABLED=true needs the authorized keys Secret mounted there (spec.ssh.authorizedKeys of the TFWorkspace)"
  log "ssh: $(grep -c '^[^#[:space:]]' "$AUTHORIZED_KEYS_SOURCE" || true) authorized key line(s) in $AUTHORIZED_KEYS_SOURCE, read again at every login"
}

# sshd_config includes $SSH_RUNTIME_DIR/*.conf: pass the container's environment on with one
# SetEnv line (sshd uses only the first SetEnv line it reads, so all variables go on one line).
# A value that could end the line or the quoted word (a control character such as a line break, a
# quote or a backslash) is left out with a warning, never written: the TFWorkspace CRD refuses line
# breaks in spec.env, this keeps the file safe whatever the Pod's environment holds.
write_session_environment() {
  local name file=$SSH_RUNTIME_DIR/session-environment.conf
  local -a pairs=()
  for name in "${SESSION_ENV_NAMES[@]}"; do
    [[ -n ${!name:-} ]] || continue
    if [[ ${!name} == *[[:cntrl:]\"\\]* ]]; then
      log "warning: $name is not passed to SSH sessions: its value contains a control character (e.g. a line break), a quote or a backslash"
      continue
    fi
    pairs+=("$name=\"${!name}\"")
  done
  {
    echo "# Written by tfws-entrypoint: environment of SSH sessions."
    ((${#pairs[@]} == 0)) || echo "SetEnv ${pairs[*]}"
  } >"$file"
  chmod 0600 "$file"
}

check_user() {
  getent passwd "$(id -u)" >/dev/null ||
    die "UID $(id -u) has no /etc/passwd entry, so sshd cannot log anyone in: run the workspace as tfws (runAsUser 1000) or set TFWS_SSH_ENABLED=false"
}

main() {
  validate_environment
  if [[ $TFWS_SSH_ENABLED == true ]]; then
    check_user
    configure_host_key
    check_authorized_keys
    write_session_environment
  fi
  log "starting supervisord: Jupyter on :8888 at $TFWS_BASE_URL; sshd on :2222: $([[ $TFWS_SSH_ENABLED == true ]] && echo enabled || echo disabled)"
  exec supervisord -c "$SUPERVISORD_CONF"
}

main "$@"
