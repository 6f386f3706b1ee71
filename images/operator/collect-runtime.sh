#!/bin/bash
# collect-runtime.sh BINARY ROOTFS — lays out the operator's runtime filesystem in ROOTFS:
# the binary at /usr/local/bin/tfws-operator, every shared library `ldd` resolves for it (at the
# same paths) plus the dynamic loader, CA certificates, the license files of the Debian packages
# those libraries come from, /etc/passwd and /etc/group with the non-root user 65532 ("nonroot"),
# and an empty /tmp. Nothing else: no shell, no package manager.
# Used by images/operator/Dockerfile (build stage) and by tests/contract/image_operator_rootfs.sh.
# Fails naming the library when ldd cannot resolve one.
set -euo pipefail

binary=${1:?usage: collect-runtime.sh BINARY ROOTFS}
rootfs=${2:?usage: collect-runtime.sh BINARY ROOTFS}

mkdir -p "$rootfs"/{usr/local/bin,etc/ssl/certs,etc/tfws,tmp}
chmod 0755 "$rootfs"
chmod 1777 "$rootfs/tmp"
install -m 0755 "$binary" "$rootfs/usr/local/bin/tfws-operator"

if ldd "$binary" | grep -q 'not found'; then
  echo "collect-runtime: unresolved libraries: $(ldd "$binary" | grep 'not found' | tr -s ' \t\n' ' ')" >&2
  exit 1
fi
# "libx.so => /path (addr)" lines and the loader's "/lib64/ld-linux-x86-64.so.2 (addr)" line.
mapfile -t libraries < <(ldd "$binary" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u)
packages=()
for lib in "${libraries[@]}"; do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
  pkg=$( (dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "/usr$lib" 2>/dev/null) | head -1 | cut -d: -f1 || true)
  [[ -n $pkg ]] && packages+=("$pkg")
done
for pkg in $(printf '%s\n' "${packages[@]}" | sort -u); do
  if [[ -f /usr/share/doc/$pkg/copyright ]]; then
    mkdir -p "$rootfs/usr/share/doc/$pkg"
    cp /usr/share/doc/"$pkg"/copyright "$rootfs/usr/share/doc/$pkg/"
  fi
done
if [[ -f /etc/ssl/certs/ca-certificates.crt ]]; then
  cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
fi
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
echo "collect-runtime: ${#libraries[@]} libraries from $(printf '%s\n' "${packages[@]}" | sort -u | wc -l) packages; $(du -sh "$rootfs" | cut -f1) in $rootfs"
