#!/usr/bin/env python3
"""Render hack/testenv-nodes.yaml into Kubernetes objects (standard library only).

Usage:
  render.py manifests NODES_FILE   -> JSON v1 List: Nodes, StorageClass, PersistentVolumes
  render.py probe-node NODES_FILE  -> name of the first node without taints (for the smoke pod)
  render.py summary NODES_FILE     -> one line: "<nodes> nodes, <pvs> PVs"
  render.py kwok-crds              -> JSON v1 List: the kwok.x-k8s.io CRDs testenv enables (PortForward,
                                      ClusterPortForward, Logs, ClusterLogs), schema-free (kwok validates)

The nodes file is a small YAML subset: block mappings and "- " sequences indented with spaces,
plain/quoted scalars, "# comments", empty {} and []. Anything else is an error with a line number.
Environment: K8S_VERSION (reported as the fake kubelet version); KWOK_KUBELET_PORT (the port of kwok's
kubelet API on 127.0.0.1, each Node's InternalIP: the API server reaches it for logs and port-forward).
"""
import json
import os
import sys


class ParseError(Exception):
    pass


def _strip_comment(text):
    quote = None
    for i, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i]
    return text


def _scalar(text, lineno):
    text = text.strip()
    if text == "{}":
        return {}
    if text == "[]":
        return []
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if text[:1] in "{[&*!|>":
        raise ParseError("line %d: unsupported YAML syntax %r" % (lineno, text))
    return text


def _split_key(text):
    """Return (key, rest) when text is 'key: value' or 'key:', else None."""
    if text.endswith(":"):
        return text[:-1].strip().strip("'\""), ""
    idx = text.find(": ")
    if idx <= 0 or text[0] in "'\"" and text.find(text[0], 1) > idx:
        return None
    return text[:idx].strip().strip("'\""), text[idx + 2:]


def parse_yaml_subset(source):
    lines = []
    for lineno, raw in enumerate(source.splitlines(), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ParseError("line %d: tabs are not allowed for indentation" % lineno)
        text = _strip_comment(raw).rstrip()
        if text.strip():
            lines.append([len(text) - len(text.lstrip()), text.strip(), lineno])
    if not lines:
        return {}
    value, pos = _parse_block(lines, 0, lines[0][0])
    if pos != len(lines):
        raise ParseError("line %d: unexpected indentation" % lines[pos][2])
    return value


def _parse_block(lines, pos, indent):
    if lines[pos][1].startswith("- ") or lines[pos][1] == "-":
        return _parse_list(lines, pos, indent)
    return _parse_map(lines, pos, indent)


def _parse_list(lines, pos, indent):
    out = []
    while pos < len(lines) and lines[pos][0] == indent and (
            lines[pos][1].startswith("- ") or lines[pos][1] == "-"):
        _, text, lineno = lines[pos]
        rest = text[1:].strip()
        if not rest:
            pos += 1
            if pos < len(lines) and lines[pos][0] > indent:
                item, pos = _parse_block(lines, pos, lines[pos][0])
            else:
                item = None
        elif _split_key(rest) is not None:
            # "- key: value" starts a mapping whose keys sit two columns further in.
            lines[pos] = [indent + 2, rest, lineno]
            item, pos = _parse_map(lines, pos, indent + 2)
        else:
            item, pos = _scalar(rest, lineno), pos + 1
        out.append(item)
    return out, pos


def _parse_map(lines, pos, indent):
    out = {}
    while pos < len(lines) and lines[pos][0] == indent:
        _, text, lineno = lines[pos]
        if text.startswith("- "):
            break
        kv = _split_key(text)
        if kv is None:
            raise ParseError("line %d: expected 'key: value', got %r" % (lineno, text))
        key, rest = kv
        pos += 1
        if rest.strip():
            out[key] = _scalar(rest, lineno)
        elif pos < len(lines) and (lines[pos][0] > indent or (
                lines[pos][0] == indent and lines[pos][1].startswith("- "))):
            out[key], pos = _parse_block(lines, pos, lines[pos][0])
        else:
            out[key] = None
    if pos < len(lines) and lines[pos][0] > indent:
        raise ParseError("line %d: unexpected indentation" % lines[pos][2])
    return out, pos


def _taint(spec, group):
    if isinstance(spec, dict):
        return {k: str(v) for k, v in spec.items()}
    key_value, _, effect = str(spec).rpartition(":")
    if not key_value or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
        raise ParseError("group %s: taint %r must be key[=value]:Effect" % (group, spec))
    key, _, value = key_value.partition("=")
    taint = {"key": key, "effect": effect}
    if value:
        taint["value"] = value
    return taint


def expand_nodes(config):
    defaults = config.get("defaults") or {}
    kubelet = os.environ.get("K8S_VERSION", "fake")
    kubelet_port = int(os.environ.get("KWOK_KUBELET_PORT", "10250"))
    # loopback (default): a test serves a Pod's port on this host. private: 10.x, as in a real
    # cluster (the endpoints controller refuses loopback Pod IPs and retries each Service's
    # Endpoints; bench/scale uses private so its storms do not pay for that).
    network = config.get("podNetwork") or "loopback"
    if network not in ("loopback", "private"):
        raise ParseError("podNetwork must be loopback or private, not %r" % network)
    first_octet = 127 if network == "loopback" else 10
    nodes = []
    index = 0
    for group in config.get("nodes") or []:
        name = group.get("name")
        if not name:
            raise ParseError("every entry of nodes needs a name")
        count = int(group.get("count", 1))
        resources = dict(defaults.get("resources") or {})
        resources.update(group.get("resources") or {})
        resources = {k: str(v) for k, v in resources.items()}
        taints = [_taint(t, name) for t in (group.get("taints") or defaults.get("taints") or [])]
        for i in range(count):
            node = "%s-%d" % (name, i)
            index += 1
            labels = dict(defaults.get("labels") or {})
            labels.update(group.get("labels") or {})
            labels.update({"kubernetes.io/hostname": node, "type": "kwok"})
            annotations = dict(defaults.get("annotations") or {})
            annotations.update(group.get("annotations") or {})
            annotations.update({"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"})
            nodes.append({
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {"name": node, "labels": {k: str(v) for k, v in labels.items()},
                             "annotations": {k: str(v) for k, v in annotations.items()}},
                # Pod IPs come from the node's podCIDR (kwok allocates them): loopback ones let a
                # test serve a Pod's port on the host, e.g. a real Jupyter for idle culling.
                "spec": dict({"podCIDR": "%d.%d.%d.0/24" % (first_octet, 1 + index // 256, index % 256)},
                             **({"taints": taints} if taints else {})),
                "status": {
                    "capacity": resources,
                    "allocatable": dict(resources),
                    "phase": "Running",
                    # Every node's kubelet is kwok's server on the loopback: the API server
                    # proxies logs and port-forward there (--kubelet-preferred-address-types).
                    "addresses": [{"type": "InternalIP", "address": "127.0.0.1"},
                                  {"type": "Hostname", "address": node}],
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet_port}},
                    "nodeInfo": {
                        "architecture": labels.get("kubernetes.io/arch", "amd64"),
                        "operatingSystem": labels.get("kubernetes.io/os", "linux"),
                        "kubeletVersion": kubelet,
                        "kubeProxyVersion": kubelet,
                        "containerRuntimeVersion": "kwok",
                        "osImage": "kwok simulated node",
                        "kernelVersion": "kwok",
                        "bootID": "", "machineID": "", "systemUUID": "",
                    },
                },
            })
    return nodes


def storage_objects(config):
    storage = config.get("storage") or {}
    sc_name = storage.get("storageClass", "standard")
    count = int(storage.get("pvCount", 0))
    size = str(storage.get("pvSize", "100Gi"))
    modes = storage.get("accessModes") or ["ReadWriteOnce", "ReadWriteMany"]
    binding = str(storage.get("volumeBindingMode", "Immediate"))
    if binding not in ("Immediate", "WaitForFirstConsumer"):
        raise ValueError("storage.volumeBindingMode must be Immediate or WaitForFirstConsumer, not %r" % binding)
    objects = [{
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": sc_name,
                     "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "kubernetes.io/no-provisioner",
        "reclaimPolicy": "Retain",
        "volumeBindingMode": binding,
    }]
    for i in range(count):
        name = "pv-%04d" % i
        objects.append({
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {"name": name, "labels": {"tfws.io/testenv-pool": sc_name}},
            "spec": {
                "capacity": {"storage": size},
                "accessModes": list(modes),
                "persistentVolumeReclaimPolicy": "Retain",
                "storageClassName": sc_name,
                "hostPath": {"path": "/tmp/tfws-testenv-pv/" + name},
            },
        })
    return objects


def kwok_crds():
    crds = []
    for kind, plural, singular, scope in (("PortForward", "portforwards", "portforward", "Namespaced"),
                                          ("ClusterPortForward", "clusterportforwards", "clusterportforward", "Cluster"),
                                          ("Logs", "logs", "logs", "Namespaced"),
                                          ("ClusterLogs", "clusterlogs", "clusterlogs", "Cluster")):
        crds.append({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "%s.kwok.x-k8s.io" % plural},
            "spec": {
                "group": "kwok.x-k8s.io",
                "names": {"kind": kind, "listKind": kind + "List", "plural": plural, "singular": singular},
                "scope": scope,
                "versions": [{
                    "name": "v1alpha1", "served": True, "storage": True,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}}}},
                }],
            },
        })
    return crds


def main(argv):
    if len(argv) == 2 and argv[1] == "kwok-crds":
        json.dump({"apiVersion": "v1", "kind": "List", "items": kwok_crds()}, sys.stdout)
        return 0
    if len(argv) != 3 or argv[1] not in ("manifests", "probe-node", "summary"):
        sys.stderr.write(__doc__)
        return 2
    path = argv[2]
    try:
        with open(path) as fh:
            config = parse_yaml_subset(fh.read())
        if not isinstance(config, dict):
            raise ParseError("top level must be a mapping with nodes: and storage:")
        nodes = expand_nodes(config)
        storage = storage_objects(config)
    except (OSError, ParseError, ValueError) as err:
        sys.stderr.write("%s: %s\n" % (path, err))
        return 1
    if not nodes:
        sys.stderr.write("%s: no nodes defined\n" % path)
        return 1
    if argv[1] == "manifests":
        json.dump({"apiVersion": "v1", "kind": "List", "items": nodes + storage}, sys.stdout)
    elif argv[1] == "probe-node":
        free = [n["metadata"]["name"] for n in nodes if not n["spec"].get("taints")]
        if not free:
            sys.stderr.write("%s: need at least one node without taints for the smoke pod\n" % path)
            return 1
        print(free[0])
    else:
        print("%d nodes, %d PVs" % (len(nodes), len(storage) - 1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
