#!/usr/bin/python3
"""The chart grants the operator nothing it does not use: every (apiGroup, resource, verb) that the
roles bound to the chart's ServiceAccount grant must appear at least once, allowed, in the audit log
of a whole e2e run, as a request of the operator (userAgent tfws-operator/...) authenticated as a
ServiceAccount (every e2e operator runs as the chart's ServiceAccount: tests/e2e/chart_identity.h).

Usage: rbac_coverage.py HELM CHART AUDIT_LOG...
The grants are read from `HELM template CHART` output, in both installation modes (cluster-wide, and
namespace-scoped with watchNamespaces), never from a copy. Prints one line per grant and exits 1
naming each grant no request used.
"""
import json
import subprocess
import sys

import yaml

# Grants the operator needs although no request of its own shows them: (group, resource, verb) -> why.
# Each must still be granted by the chart (a stale entry fails too). Both are checks of the
# OwnerReferencesPermissionEnforcement admission plugin (OpenShift, hardened clusters), which asks the
# authorizer without a request the audit log records. Verified by hand on testenv with
# TFWS_TESTENV_APISERVER_EXTRA_ARGS=--enable-admission-plugins=OwnerReferencesPermissionEnforcement:
# without either, ControllerChildPaths.EditsPatchChildrenInPlace... fails.
AUTHORIZED_WITHOUT_A_REQUEST = {
    ("tfws.io", "tfworkspaces/finalizers", "update"):
        "setting blockOwnerDeletion on a child's ownerReference to its TFWorkspace (every create) needs it "
        "where the OwnerReferencesPermissionEnforcement admission plugin runs",
    ("", "persistentvolumeclaims", "delete"):
        "changing a claim's ownerReference (reclaimPolicy Retain <-> Delete, a patch) needs it where the "
        "OwnerReferencesPermissionEnforcement admission plugin runs",
}

# list on a resource the operator watches: its informers fill the cache with one streaming list (a
# watch with sendInitialEvents) where the API server serves it, and page with list where it does not
# (WatchList off: Kubernetes 1.30-1.31 and 1.33). testenv streams, so a used watch proves the list.
LIST_PROVEN_BY_WATCH = ("the operator's informers page with list only where the API server does not "
                        "stream lists (WatchList off: Kubernetes 1.30-1.31, 1.33); here they streamed "
                        "with watch, used {n} time(s)")


def render(helm, chart, *args):
    out = subprocess.run([helm, "template", "tfws-operator", chart, "--namespace", "tfws-system", *args],
                         check=True, capture_output=True, text=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def operator_grants(docs):
    """(group, resource, verb) granted by the (Cluster)Roles bound to the chart's ServiceAccount."""
    sas = [d["metadata"]["name"] for d in docs if d.get("kind") == "ServiceAccount"]
    if len(sas) != 1:
        sys.exit(f"FAIL helm template rendered {len(sas)} ServiceAccounts, expected 1")
    bound = set()
    for b in docs:
        if b.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if any(s.get("kind") == "ServiceAccount" and s.get("name") == sas[0] for s in b.get("subjects", [])):
            bound.add((b["roleRef"]["kind"], b["metadata"].get("namespace", ""), b["roleRef"]["name"]))
    grants = {}
    for r in docs:
        if r.get("kind") not in ("Role", "ClusterRole"):
            continue
        if (r["kind"], r["metadata"].get("namespace", "") if r["kind"] == "Role" else "", r["metadata"]["name"]) not in bound:
            continue
        for rule in r.get("rules", []):
            for group in rule.get("apiGroups", []):
                for resource in rule.get("resources", []):
                    for verb in rule.get("verbs", []):
                        grants.setdefault((group, resource, verb), set()).add(f"{r['kind']} {r['metadata']['name']}")
    if not grants:
        sys.exit("FAIL no role bound to the chart's ServiceAccount in the helm template output")
    return grants


def used(audit_logs):
    """(group, resource, verb) -> count of allowed requests of the operator as a ServiceAccount."""
    seen = {}
    for path in audit_logs:
        with open(path, errors="replace") as f:
            for line in f:
                if "tfws-operator/" not in line or "system:serviceaccount:" not in line:
                    continue
                try:
                    e = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut by rotation
                if not e.get("userAgent", "").startswith("tfws-operator/"):
                    continue
                if not e.get("user", {}).get("username", "").startswith("system:serviceaccount:"):
                    continue
                if e.get("annotations", {}).get("authorization.k8s.io/decision") != "allow":
                    continue
                ref = e.get("objectRef")
                if not ref:
                    continue  # a non-resource URL (discovery, /version): not a role's resource grant
                resource = ref.get("resource", "")
                if ref.get("subresource"):
                    resource += "/" + ref["subresource"]
                key = (ref.get("apiGroup", ""), resource, e.get("verb", ""))
                seen[key] = seen.get(key, 0) + 1
    return seen


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    helm, chart, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
    grants = operator_grants(render(helm, chart))
    for key, roles in operator_grants(render(helm, chart, "--set", "watchNamespaces={team-a,team-b}")).items():
        grants.setdefault(key, set()).update(roles)
    seen = used(logs)
    if not seen:
        sys.exit(f"FAIL no allowed request of tfws-operator as a ServiceAccount in {' '.join(logs)}: "
                 "did the e2e suites run (their operators run as the chart's ServiceAccount)?")
    unused = []
    for key in sorted(grants):
        group, resource, verb = key
        name = f"{verb} {group or 'core'}/{resource}"
        if key in AUTHORIZED_WITHOUT_A_REQUEST:
            print(f"ok   {name}: no request shows it: {AUTHORIZED_WITHOUT_A_REQUEST[key]}")
        elif seen.get(key):
            print(f"ok   {name}: {seen[key]} request(s)")
        elif verb == "list" and (group, resource, "watch") in grants and seen.get((group, resource, "watch")):
            print(f"ok   {name}: {LIST_PROVEN_BY_WATCH.format(n=seen[(group, resource, 'watch')])}")
        else:
            unused.append(key)
            print(f"FAIL {name} (granted by {', '.join(sorted(grants[key]))}): no e2e request of the operator used "
                  "it: drop it from the chart's role (charts/tfws-operator/templates/_helpers.tpl, rbac.yaml, and "
                  "the rule table of tests/contract/chart/assert_rendered.py), or add a test that drives the path "
                  "that needs it")
    stale = sorted(set(AUTHORIZED_WITHOUT_A_REQUEST) - set(grants))
    for group, resource, verb in stale:
        print(f"FAIL {verb} {group or 'core'}/{resource} is listed in AUTHORIZED_WITHOUT_A_REQUEST of {sys.argv[0]} "
              "but the chart no longer grants it: remove the entry")
    beyond = sorted(k for k in seen if k not in grants)
    for group, resource, verb in beyond:
        print(f"note {verb} {group or 'core'}/{resource}: used ({seen[(group, resource, verb)]}) but not granted by "
              "the chart (the e2e suites fail on each such refusal)")
    print(f"{len(grants) - len(unused)}/{len(grants)} granted (apiGroup, resource, verb) used or explained")
    sys.exit(1 if unused or stale else 0)


if __name__ == "__main__":
    main()
