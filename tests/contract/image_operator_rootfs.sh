#!/usr/bin/env bash
# Contract: the operator image's filesystem (images/operator/collect-runtime.sh, the same script the
# Dockerfile's build stage runs) is enough to run the operator: built from $TFWS_OPERATOR_BIN into a
# private directory, then run with chroot as UID 65532 — every shared library resolves from the
# rootfs alone, the binary starts, and there is no shell. Prints the rootfs size (docs/images.md).
set -euo pipefail
ROOT=${TFWS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
OPERATOR=${TFWS_OPERATOR_BIN:-$ROOT/build/operator/tfws-operator}
PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

[[ -x $OPERATOR ]] || { echo "FAIL: no operator binary at $OPERATOR (build tfws-operator first)"; exit 1; }
ROOTFS=$(mktemp -d /tmp/tfws-operator-rootfs.XXXXXX)
trap 'rm -rf "$ROOTFS" "$ROOTFS.libs" "$ROOTFS.out"' EXIT
check "collect-runtime.sh lays out the rootfs" bash "$ROOT/images/operator/collect-runtime.sh" "$OPERATOR" "$ROOTFS"

# chroot needs root (or a user namespace that maps the caller to root).
if [[ $(id -u) -eq 0 ]]; then
  in_rootfs() { chroot --userspec=65532:65532 "$ROOTFS" "$@"; }
else
  in_rootfs() { unshare --user --map-root-user chroot "$ROOTFS" "$@"; }
fi
in_rootfs /lib64/ld-linux-x86-64.so.2 --list /usr/local/bin/tfws-operator >"$ROOTFS.libs" 2>&1 || true
check "every shared library resolves inside the rootfs ($(grep -c '=> /' "$ROOTFS.libs") libraries)" \
  bash -c "! grep -q 'not found' '$ROOTFS.libs' && grep -q 'libc.so.6 => /' '$ROOTFS.libs'"
# The binary starts (no "error while loading shared libraries"); its exit code depends on the flags.
ASAN_OPTIONS=detect_leaks=0 in_rootfs /usr/local/bin/tfws-operator --help >"$ROOTFS.out" 2>&1 || true
check "tfws-operator starts inside the rootfs as UID 65532" bash -c "! grep -q 'error while loading shared libraries' '$ROOTFS.out'"
check "no shell in the rootfs" bash -c "[[ ! -e '$ROOTFS/bin/sh' && ! -e '$ROOTFS/usr/bin/sh' && ! -e '$ROOTFS/bin/bash' ]]"
check "non-root user 65532 in /etc/passwd" grep -qx 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' "$ROOTFS/etc/passwd"
check "CA certificates present (HTTPS to Loki)" test -s "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
check "license files of the copied Debian packages present" test -f "$ROOTFS/usr/share/doc/libc6/copyright"
sanitizers=$(ls "$ROOTFS"/lib/x86_64-linux-gnu/lib{asan,ubsan}.so.* 2>/dev/null || true)
total=$(du -sb "$ROOTFS" | cut -f1)
san=0; [[ -n $sanitizers ]] && san=$(du -cb $sanitizers | tail -1 | cut -f1)
compressed=$(tar -C "$ROOTFS" $(for s in $sanitizers; do echo --exclude=".${s#"$ROOTFS"}"; done) -cf - . | gzip -6 | wc -c)
awk -v t="$total" -v s="$san" -v c="$compressed" 'BEGIN {
  printf "rootfs: %.1f MiB (%.1f MiB without sanitizer runtimes; %.1f MiB as a gzip-compressed layer)\n", t/1048576, (t-s)/1048576, c/1048576 }'

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
