#!/usr/bin/python3
"""Checks the objects `helm template` rendered from the tfws-operator chart.

Usage: assert_rendered.py default|all-on RENDERED.yaml VALUES.yaml...
Prints one "ok"/"FAIL" line per property and exits 1 when any failed. VALUES are the values files
the render used (the chart's values.yaml first), merged like helm does, so expectations follow them.
"""
import sys

import yaml

failures = 0


def expect(description, condition):
    global failures
    print(("ok   " if condition else "FAIL ") + description)
    if not condition:
        failures += 1


def merge(base, override):
    """Helm's merge of values files: maps merge key by key, everything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for k, v in override.items():
            out[k] = merge(base.get(k), v) if k in base else v
        return out
    return override


def objects_of(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def one(docs, kind):
    found = objects_of(docs, kind)
    expect(f"exactly one {kind} is rendered (got {len(found)})", len(found) == 1)
    return found[0] if found else {}


# The least-privilege table of the chart: (apiGroup, resource) -> verbs. Anything else is a finding.
# Each verb is one the operator's code uses; tests/e2e/rbac_coverage.py checks that the whole e2e
# run used every one of them (run as the chart's ServiceAccount).
NAMESPACED_RULES = {
    ("tfws.io", "tfworkspaces"): {"list", "watch", "patch"},
    ("tfws.io", "tfworkspaces/status"): {"patch"},
    ("tfws.io", "tfworkspaces/finalizers"): {"update"},
    ("", "pods"): {"get", "list", "watch", "create", "patch", "delete"},
    **{("", r): {"get", "list", "watch", "create", "patch", "delete"} for r in ("services", "secrets")},
    ("", "persistentvolumeclaims"): {"get", "list", "watch", "create", "patch", "delete"},
    ("networking.k8s.io", "ingresses"): {"get", "list", "watch", "create", "patch", "delete"},
    ("networking.k8s.io", "networkpolicies"): {"get", "list", "watch", "create", "patch"},
    ("events.k8s.io", "events"): {"create", "patch"},
    ("", "resourcequotas"): {"list", "watch"},
}
CLUSTER_RULES = {("tfws.io", "tfworkspaceclasses"): {"list", "watch"},
                 ("storage.k8s.io", "storageclasses"): {"list", "watch"}}


ADMIN_ROLE = "tfws-workspace-admin"  # shipped with the admission policy: the verb set-owner, nothing else


# For the people who use workspaces (kubectl tfws): exactly these rights (templates/user-roles.yaml).
USER_ROLES = {
    "tfws-user": {("tfws.io", "tfworkspaces"): {"get", "list", "watch", "create", "update", "patch", "delete"},
                  ("", "pods"): {"get", "list"}, ("", "pods/log"): {"get"},
                  ("", "pods/portforward"): {"get", "create"}, ("", "secrets"): {"get"},
                  ("", "events"): {"list"}, ("", "resourcequotas"): {"list"}},
    "tfws-gpu-viewer": {("", "nodes"): {"get", "list"}, ("", "pods"): {"list"}},
}


def check_user_roles(docs):
    roles = {r["metadata"]["name"]: r for r in objects_of(docs, "ClusterRole") if r["metadata"]["name"] in USER_ROLES}
    for name, rules in USER_ROLES.items():
        expect(f"user ClusterRole {name} grants exactly what kubectl tfws needs",
               name in roles and rule_table(roles[name]) == rules)


def operator_cluster_role(docs):
    roles = [r for r in objects_of(docs, "ClusterRole")
             if r["metadata"]["name"] != ADMIN_ROLE and r["metadata"]["name"] not in USER_ROLES]
    expect(f"exactly one operator ClusterRole is rendered (got {len(roles)})", len(roles) == 1)
    return roles[0] if roles else {}


def check_admission(docs, values):
    policies = sorted(p["metadata"]["name"] for p in objects_of(docs, "ValidatingAdmissionPolicy"))
    bindings = {b["spec"]["policyName"]: b for b in objects_of(docs, "ValidatingAdmissionPolicyBinding")}
    admin = [r for r in objects_of(docs, "ClusterRole") if r["metadata"]["name"] == ADMIN_ROLE]
    if not values.get("admissionPolicy", {}).get("enabled", True):
        expect("admissionPolicy.enabled=false: no policy, binding or admin ClusterRole",
               not policies and not bindings and not admin)
        return
    mutating = sorted(p["metadata"]["name"] for p in objects_of(docs, "MutatingAdmissionPolicy"))
    # The class-reference pair needs MutatingAdmissionPolicy (Kubernetes >= 1.36): rendered only where
    # the API server serves it (helm template --api-versions admissionregistration.k8s.io/v1/MutatingAdmissionPolicy).
    expected = ["tfws-class-single-default.tfws.io", "tfws-workspace-class.tfws.io", "tfws-workspace-rights.tfws.io"]
    if mutating:
        expected = sorted(expected + ["tfws-workspace-class-exists.tfws.io"])
    expect("admission: the rights, class and single-default policies (and class-exists with the mutating one) are rendered",
           policies == expected)
    expect("admission: the class-reference MutatingAdmissionPolicy comes with its binding, or neither",
           mutating in ([], ["tfws-workspace-class-ref.tfws.io"]) and
           sorted(b["spec"]["policyName"] for b in objects_of(docs, "MutatingAdmissionPolicyBinding")) == mutating)
    expect("admission: each policy has a Deny binding",
           sorted(bindings) == policies and all(b["spec"]["validationActions"] == ["Deny"] for b in bindings.values()))
    klass = bindings.get("tfws-workspace-class.tfws.io", {}).get("spec", {}).get("paramRef", {})
    expect("admission: the class binding selects every class and denies when there is none",
           klass.get("selector") == {} and klass.get("parameterNotFoundAction") == "Deny")
    expect(f"admission: ClusterRole {ADMIN_ROLE} grants only set-owner on tfworkspaces",
           len(admin) == 1 and rule_table(admin[0]) == {("tfws.io", "tfworkspaces"): {"set-owner"}})


def rule_table(role):
    table = {}
    for rule in role.get("rules", []):
        for group in rule.get("apiGroups", []):
            for resource in rule.get("resources", []):
                expect(f"{role['kind']} {role['metadata']['name']}: no wildcard in {group}/{resource}",
                       "*" not in rule.get("verbs", []) and resource != "*" and group != "*")
                table.setdefault((group, resource), set()).update(rule.get("verbs", []))
    return table


def check_deployment(docs, values, release_ns):
    dep = one(docs, "Deployment")
    pod = dep["spec"]["template"]["spec"]
    container = pod["containers"][0]
    sc, psc = container.get("securityContext", {}), pod.get("securityContext", {})
    expect("Deployment: replicas = replicaCount", dep["spec"]["replicas"] == values["replicaCount"])
    expect("Pod: runAsNonRoot with a non-zero runAsUser",
           psc.get("runAsNonRoot") is True and psc.get("runAsUser", 0) != 0)
    expect("Pod: seccompProfile RuntimeDefault", psc.get("seccompProfile", {}).get("type") == "RuntimeDefault")
    expect("container: readOnlyRootFilesystem", sc.get("readOnlyRootFilesystem") is True)
    expect("container: allowPrivilegeEscalation false", sc.get("allowPrivilegeEscalation") is False)
    expect("container: capabilities drop ALL", sc.get("capabilities", {}).get("drop") == ["ALL"])
    expect("container: resources requests and limits set",
           bool(container.get("resources", {}).get("requests")) and bool(container.get("resources", {}).get("limits")))
    health_port = values["health"]["port"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    expect("container: ports metrics and health from values",
           ports == {"metrics": values["metrics"]["port"], "health": health_port})
    expect("liveness probe: GET /healthz on the health port",
           container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"})
    expect("readiness probe: GET /readyz on the health port",
           container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "health"})
    args = container["args"]
    expect("flags: --config=/etc/tfws/config.yaml", "--config=/etc/tfws/config.yaml" in args)
    expect("flags: --workers from values", f"--workers={values['workers']}" in args)
    expect("flags: metrics and health bind addresses from values",
           f"--metrics-bind-address=:{values['metrics']['port']}" in args
           and f"--health-probe-bind-address=:{health_port}" in args)
    le = values["leaderElection"]
    expect("flags: --leader-elect with the Lease namespace and id",
           "--leader-elect" in args
           and f"--leader-election-namespace={le['namespace'] or release_ns}" in args
           and f"--leader-election-id={le['id']}" in args)
    expect("flags: log format and level from values",
           f"--log-format={values['logging']['format']}" in args and f"--log-level={values['logging']['level']}" in args)
    qps = values["kubeApi"]["qps"]  # "auto" or a number
    expect("flags: kube API qps and burst from values",
           f"--kube-api-qps={qps if isinstance(qps, str) else format(qps, 'g')}" in args
           and f"--kube-api-burst={values['kubeApi']['burst']}" in args)
    known = ("--config=", "--workers=", "--metrics-bind-address=", "--health-probe-bind-address=",
             "--watch-namespaces=", "--leader-elect", "--leader-election-namespace=", "--leader-election-id=",
             "--log-format=", "--log-level=", "--loki-url=", "--loki-tenant=", "--loki-labels=",
             "--kube-api-qps=", "--kube-api-burst=")
    expect("flags: only flags of the operator's contract", all(a.startswith(known) for a in args))
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    expect("config mounted read-only at /etc/tfws", mounts.get("/etc/tfws", {}).get("readOnly") is True)
    expect("Pod template: checksum/config annotation",
           len(dep["spec"]["template"]["metadata"]["annotations"].get("checksum/config", "")) == 64)
    return dep, args


def check_common(docs, values, release_ns):
    dep, args = check_deployment(docs, values, release_ns)
    cm = [c for c in objects_of(docs, "ConfigMap") if "config.yaml" in c.get("data", {})]
    expect("ConfigMap with key config.yaml is rendered", len(cm) == 1)
    if cm:
        want = dict(values["config"], operatorNamespace=values["config"].get("operatorNamespace") or release_ns,
                    operatorPodLabels=values["config"].get("operatorPodLabels") or dep["spec"]["selector"]["matchLabels"])
        expect("config.yaml = values .config, operatorNamespace defaulted to the release namespace, "
               "operatorPodLabels to the operator Pods' selector labels",
               yaml.safe_load(cm[0]["data"]["config.yaml"]) == want)
        volume = [v for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == "config"]
        expect("Deployment mounts that ConfigMap", volume and volume[0]["configMap"]["name"] == cm[0]["metadata"]["name"])
    svc = [s for s in objects_of(docs, "Service") if s["metadata"]["name"].endswith("-metrics")]
    expect("metrics Service with port named metrics",
           len(svc) == 1 and [p["name"] for p in svc[0]["spec"]["ports"]] == ["metrics"])
    sa = one(docs, "ServiceAccount")
    expect("Deployment runs as the chart's ServiceAccount",
           dep["spec"]["template"]["spec"]["serviceAccountName"] == sa.get("metadata", {}).get("name"))
    lease_roles = [r for r in objects_of(docs, "Role") if r["metadata"]["name"].endswith("-leader-election")]
    expect("one leader-election Role", len(lease_roles) == 1)
    if lease_roles:
        lease_ns = values["leaderElection"]["namespace"] or release_ns
        table = rule_table(lease_roles[0])
        expect(f"leader-election Role lives in {lease_ns}", lease_roles[0]["metadata"]["namespace"] == lease_ns)
        expect("leader-election Role: leases get/create/update only",
               table == {("coordination.k8s.io", "leases"): {"get", "create", "update"}})
    for binding in objects_of(docs, "RoleBinding") + objects_of(docs, "ClusterRoleBinding"):
        subjects = binding.get("subjects", [])
        expect(f"{binding['kind']} {binding['metadata']['name']} binds only the chart's ServiceAccount",
               subjects == [{"kind": "ServiceAccount", "name": sa["metadata"]["name"], "namespace": release_ns}])
    return dep, args


def check_default(docs, values, release_ns):
    dep, args = check_common(docs, values, release_ns)
    check_admission(docs, values)
    check_user_roles(docs)
    cluster_role = operator_cluster_role(docs)
    expect("cluster-wide mode: ClusterRole = namespaced rules + cluster rules, nothing else",
           rule_table(cluster_role) == {**NAMESPACED_RULES, **CLUSTER_RULES})
    expect("cluster-wide mode: no --watch-namespaces flag", not any(a.startswith("--watch-namespaces") for a in args))
    expect("no Loki flags by default", not any(a.startswith("--loki") for a in args))
    for kind in ("ServiceMonitor", "PrometheusRule", "NetworkPolicy", "PodDisruptionBudget"):
        expect(f"{kind} is off by default", not objects_of(docs, kind))
    expect("no dashboard ConfigMaps by default",
           not [c for c in objects_of(docs, "ConfigMap") if c["metadata"].get("labels", {}).get("grafana_dashboard")])
    expect("image = repository:appVersion", dep["spec"]["template"]["spec"]["containers"][0]["image"] == "tfws/tfws-operator:0.1.0")


def check_all_on(docs, values, release_ns):
    dep, args = check_common(docs, values, release_ns)
    watched = values["watchNamespaces"]
    expect("flags: --watch-namespaces lists the watched namespaces", f"--watch-namespaces={','.join(watched)}" in args)
    check_admission(docs, values)
    cluster_role = operator_cluster_role(docs)
    expect("namespaced mode: the ClusterRole only reads TFWorkspaceClasses", rule_table(cluster_role) == CLUSTER_RULES)
    workspace_roles = [r for r in objects_of(docs, "Role") if not r["metadata"]["name"].endswith("-leader-election")]
    expect("namespaced mode: one Role per watched namespace",
           sorted(r["metadata"]["namespace"] for r in workspace_roles) == sorted(watched))
    for role in workspace_roles:
        expect(f"Role in {role['metadata']['namespace']} = the namespaced rules", rule_table(role) == NAMESPACED_RULES)
    bound = sorted(b["metadata"]["namespace"] for b in objects_of(docs, "RoleBinding")
                   if not b["metadata"]["name"].endswith("-leader-election"))
    expect("namespaced mode: one RoleBinding per watched namespace", bound == sorted(watched))
    loki = values["logging"]["loki"]
    labels = ",".join(f"{k}={loki['labels'][k]}" for k in sorted(loki["labels"]))
    expect("flags: Loki url, tenant and sorted labels",
           f"--loki-url={loki['url']}" in args and f"--loki-tenant={loki['tenant']}" in args
           and f"--loki-labels={labels}" in args)
    image = values["image"]
    expect("image = repository@digest when a digest is set",
           dep["spec"]["template"]["spec"]["containers"][0]["image"] == f"{image['repository']}@{image['digest']}")
    expect("imagePullSecrets from values", dep["spec"]["template"]["spec"]["imagePullSecrets"] == values["imagePullSecrets"])
    for key in ("nodeSelector", "tolerations", "affinity", "priorityClassName"):
        expect(f"Pod {key} from values", dep["spec"]["template"]["spec"].get(key) == values[key])
    sm = one(docs, "ServiceMonitor")
    expect("ServiceMonitor: release label from values",
           sm.get("metadata", {}).get("labels", {}).get("release") == values["metrics"]["serviceMonitor"]["release"])
    expect("ServiceMonitor: scrapes the port named metrics",
           [e["port"] for e in sm.get("spec", {}).get("endpoints", [])] == ["metrics"])
    svc = [s for s in objects_of(docs, "Service") if s["metadata"]["name"].endswith("-metrics")][0]
    expect("ServiceMonitor selects the metrics Service",
           all(svc["metadata"]["labels"].get(k) == v for k, v in sm["spec"]["selector"]["matchLabels"].items()))
    rule = one(docs, "PrometheusRule")
    groups = rule.get("spec", {}).get("groups") or []
    expect(f"PrometheusRule carries the rule groups of rules/*.yaml ({len(groups)} groups)",
           len(groups) > 0 and all(g.get("name") and g.get("rules") for g in groups))
    dashboards = [c for c in objects_of(docs, "ConfigMap") if c["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    expect(f"dashboard ConfigMaps labelled grafana_dashboard: \"1\" ({len(dashboards)})", len(dashboards) > 0)
    for cm in dashboards:
        ((name, text),) = cm["data"].items()
        try:
            dashboard = yaml.safe_load(text)
            valid = isinstance(dashboard, dict) and "panels" in dashboard
        except yaml.YAMLError:
            valid = False
        expect(f"dashboard {name} is Grafana JSON with panels, in namespace {values['dashboards']['namespace']}",
               valid and cm["metadata"]["namespace"] == values["dashboards"]["namespace"])
    netpol = one(docs, "NetworkPolicy")
    expect("NetworkPolicy selects the operator Pods",
           netpol.get("spec", {}).get("podSelector", {}).get("matchLabels") == dep["spec"]["selector"]["matchLabels"])
    expect("NetworkPolicy: Ingress and Egress", netpol.get("spec", {}).get("policyTypes") == ["Ingress", "Egress"])
    jupyter = [r for r in netpol.get("spec", {}).get("egress", [])
               if r.get("ports") == [{"port": 8888, "protocol": "TCP"}]]
    expect("NetworkPolicy: egress to Jupyter (8888) of workspace Pods in every namespace (culling probes)",
           len(jupyter) == 1 and jupyter[0].get("to") == [{
               "namespaceSelector": {},
               "podSelector": {"matchExpressions": [{"key": "tfws.io/workspace", "operator": "Exists"}]}}])
    pdb = one(docs, "PodDisruptionBudget")
    expect("PodDisruptionBudget: minAvailable from values",
           pdb.get("spec", {}).get("minAvailable") == values["podDisruptionBudget"]["minAvailable"])


def main():
    mode, rendered, value_files = sys.argv[1], sys.argv[2], sys.argv[3:]
    with open(rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    values = {}
    for path in value_files:
        with open(path) as f:
            values = merge(values, yaml.safe_load(f) or {})
    release_ns = "tfws-system"
    {"default": check_default, "all-on": check_all_on}[mode](docs, values, release_ns)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
