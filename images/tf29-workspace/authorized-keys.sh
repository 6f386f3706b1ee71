#!/bin/bash
# tfws-authorized-keys: sshd's AuthorizedKeysCommand in tfws/tf29-workspace (installed root-owned,
# 0755, at /usr/local/bin/tfws-authorized-keys, as sshd requires of the command's path).
#
#   tfws-authorized-keys FILE
#
# Prints the public keys of FILE, the authorized_keys Secret as the kubelet mounts it
# (/etc/tfws/ssh/authorized_keys, a symlink through ..data that the kubelet swaps atomically when
# the Secret changes). sshd runs this at every login, so a key added to or removed from the Secret
# counts from the next login after the kubelet updated the volume, without restarting anything.
# sshd cannot read the file itself: StrictModes refuses any path through the Secret volume, whose
# root the kubelet makes world-writable (a tmpfs with mode 1777).
#
# Only well-formed lines are printed, "<key type> <base64> [comment]" (the operator checks the same
# rule and names bad lines in the TFWorkspace's ConfigValid condition); comments, blank lines,
# authorized_keys options and anything else are dropped. At most 1 MiB is read.
set -euo pipefail
[[ $# -eq 1 ]] || { echo "usage: tfws-authorized-keys FILE" >&2; exit 2; }
[[ -r $1 ]] || { echo "tfws-authorized-keys: $1: not readable: is the authorized keys Secret mounted?" >&2; exit 1; }
key_types='ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com'
head -c 1048576 -- "$1" | tr -d '\r' |
  { grep -E "^[[:blank:]]*($key_types)[[:blank:]]+[A-Za-z0-9+/]+={0,2}([[:blank:]].*)?$" || [[ $? -eq 1 ]]; }
