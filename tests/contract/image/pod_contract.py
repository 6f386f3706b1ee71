#!/usr/bin/python3
"""Extracts what the workspace container runs from `tfws-operator render` output.

Usage: pod_contract.py RENDER.yaml OUTDIR
Writes into OUTDIR:
  argv       the container's command + args, one per line (the Jupyter command line)
  env        NAME=VALUE for every env entry with a literal value, one per line
  probe      "<path> <port>" of the readiness probe (HTTP GET)
  base_url   the value of TFWS_BASE_URL
  token_ref  "<secret name> <key>" that JUPYTER_TOKEN comes from
  token      the token, when the render output carries the Secret's data (else absent)
Exits 1 with a message naming what is missing when the output breaks the Pod contract.
"""
import base64
import os
import sys

import yaml


def die(message):
    print(f"pod_contract: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    rendered, outdir = sys.argv[1], sys.argv[2]
    with open(rendered) as f:
        docs = []
        for doc in yaml.safe_load_all(f):
            if isinstance(doc, dict) and doc.get("kind") == "List":
                docs.extend(doc.get("items", []))
            elif isinstance(doc, list):
                docs.extend(doc)
            elif doc:
                docs.append(doc)
    pods = [d for d in docs if d.get("kind") == "Pod"]
    if len(pods) != 1:
        die(f"expected one Pod in the render output, found {len(pods)}")
    containers = {c["name"]: c for c in pods[0]["spec"]["containers"]}
    if "workspace" not in containers:
        die(f"no container named 'workspace' (found {sorted(containers)})")
    c = containers["workspace"]
    argv = list(c.get("command", [])) + list(c.get("args", []))
    if not argv:
        die("container 'workspace' sets no command: this test needs a `launcher: jupyter` image")
    env, token_ref = {}, None
    for e in c.get("env", []):
        if "value" in e:
            env[e["name"]] = e["value"]
        elif e["name"] == "JUPYTER_TOKEN":
            ref = e.get("valueFrom", {}).get("secretKeyRef", {})
            token_ref = (ref.get("name"), ref.get("key"))
    if "TFWS_BASE_URL" not in env:
        die("env TFWS_BASE_URL is not set to a literal value")
    if not token_ref:
        die("env JUPYTER_TOKEN does not come from a Secret (valueFrom.secretKeyRef)")
    probe = c.get("readinessProbe", {}).get("httpGet")
    if not probe:
        die("container 'workspace' has no HTTP readiness probe")
    port = probe["port"]
    if isinstance(port, str):
        named = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
        port = named.get(port, port)
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "argv"), "w") as f:
        f.write("".join(a + "\n" for a in argv))
    with open(os.path.join(outdir, "env"), "w") as f:
        f.write("".join(f"{k}={v}\n" for k, v in env.items()))
    with open(os.path.join(outdir, "probe"), "w") as f:
        f.write(f"{probe['path']} {port}\n")
    with open(os.path.join(outdir, "base_url"), "w") as f:
        f.write(env["TFWS_BASE_URL"] + "\n")
    with open(os.path.join(outdir, "token_ref"), "w") as f:
        f.write(f"{token_ref[0]} {token_ref[1]}\n")
    for s in docs:
        if s.get("kind") == "Secret" and s.get("metadata", {}).get("name") == token_ref[0]:
            value = (s.get("stringData") or {}).get(token_ref[1])
            if value is None and (s.get("data") or {}).get(token_ref[1]):
                value = base64.b64decode(s["data"][token_ref[1]]).decode()
            if value:
                with open(os.path.join(outdir, "token"), "w") as f:
                    f.write(value + "\n")


if __name__ == "__main__":
    main()
