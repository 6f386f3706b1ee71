#!/usr/bin/python3
"""Checks that a rendered workspace Pod gives the tfws/tf29-workspace entrypoint what it reads.

Usage: check_entrypoint_pod.py RENDER.yaml ENTRYPOINT.sh SSHD_CONFIG
Prints one "ok"/"FAIL" line per property of the contract (docs/images.md) and exits 1 on a failure.
"""
import base64
import re
import sys

import yaml

failures = 0


def expect(description, condition):
    global failures
    print(("ok   " if condition else "FAIL ") + description)
    failures += 0 if condition else 1


def main():
    rendered, entrypoint_path, sshd_config_path = sys.argv[1:4]
    with open(rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if isinstance(d, dict)]
    entrypoint = open(entrypoint_path).read()
    sshd_config = open(sshd_config_path).read()
    pods = [d for d in docs if d.get("kind") == "Pod"]
    expect("render output has one Pod", len(pods) == 1)
    if not pods:
        return
    pod = pods[0]
    spec = pod["spec"]
    c = next((c for c in spec["containers"] if c["name"] == "workspace"), {})
    expect("container 'workspace' exists", bool(c))
    expect("no command/args: the image's ENTRYPOINT (supervisord) runs", "command" not in c and "args" not in c)
    env = {e["name"]: e for e in c.get("env", [])}
    value = lambda name: env.get(name, {}).get("value")
    # The entrypoint's own validation rules, read from entrypoint.sh so they cannot drift.
    base_re = re.search(r"\[\[ \$TFWS_BASE_URL =~ (\S+) \]\]", entrypoint).group(1)
    expect(f"TFWS_BASE_URL {value('TFWS_BASE_URL')!r} passes the entrypoint's check {base_re}",
           value("TFWS_BASE_URL") is not None and re.fullmatch(base_re, value("TFWS_BASE_URL")) is not None)
    expect("TFWS_SSH_ENABLED=true", value("TFWS_SSH_ENABLED") == "true")
    expect(f"TFWS_JUPYTER_AUTH is token or none ({value('TFWS_JUPYTER_AUTH')!r})",
           value("TFWS_JUPYTER_AUTH") in ("token", "none", None))
    token_ref = env.get("JUPYTER_TOKEN", {}).get("valueFrom", {}).get("secretKeyRef", {})
    expect(f"JUPYTER_TOKEN from Secret {token_ref.get('name')} key {token_ref.get('key')}",
           token_ref.get("name", "").endswith("-token") and token_ref.get("key") == "token")
    expect("HOME=/home/tfws", value("HOME") == "/home/tfws")
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    def volume_at(path):
        m = mounts.get(path)
        return volumes.get(m["name"], {}) if m else {}
    expect("HOME is an emptyDir", "emptyDir" in volume_at("/home/tfws"))
    expect("/tmp is an emptyDir (host keys, pid files)", "emptyDir" in volume_at("/tmp"))
    expect("/tf is the workspace PVC", "persistentVolumeClaim" in volume_at("/tf"))
    keys_volume = volume_at("/etc/tfws/ssh")
    expect("authorized keys Secret mounted read-only at /etc/tfws/ssh",
           "secret" in keys_volume and mounts["/etc/tfws/ssh"].get("readOnly") is True)
    secret_name = keys_volume.get("secret", {}).get("secretName")
    items = keys_volume.get("secret", {}).get("items")
    expect("the mount provides the file authorized_keys",
           items is None or any(i.get("path") == "authorized_keys" for i in items))
    secrets = {s["metadata"]["name"]: s for s in docs if s.get("kind") == "Secret"}
    if secret_name in secrets:
        s = secrets[secret_name]
        keys = (s.get("stringData") or {}).get("authorized_keys")
        if keys is None and (s.get("data") or {}).get("authorized_keys"):
            keys = base64.b64decode(s["data"]["authorized_keys"]).decode()
        expect(f"Secret {secret_name} carries authorized_keys with the spec's keys",
               keys is not None and len([l for l in keys.splitlines() if l.strip() and not l.startswith("#")]) >= 1)
    host_key_volume = volume_at("/etc/tfws/ssh-host")
    expect("host key Secret <name>-ssh-host mounted read-only at /etc/tfws/ssh-host (the entrypoint's TFWS_HOST_KEY_DIR default)",
           host_key_volume.get("secret", {}).get("secretName", "").endswith("-ssh-host")
           and mounts["/etc/tfws/ssh-host"].get("readOnly") is True
           and 'HOST_KEY_DIR=${TFWS_HOST_KEY_DIR:-/etc/tfws/ssh-host}' in entrypoint)
    expect("its files are 0440 (sshd reads the root-owned, fsGroup-group key as the workspace UID)",
           host_key_volume.get("secret", {}).get("defaultMode") == 0o440)
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    port_in_config = int(re.search(r"^Port (\d+)$", sshd_config, re.M).group(1))
    expect(f"ports http 8888 and ssh {port_in_config} (the image's sshd_config Port)",
           ports.get("http") == 8888 and ports.get("ssh") == port_in_config)
    psc, csc = spec.get("securityContext", {}), c.get("securityContext", {})
    uid = csc.get("runAsUser", psc.get("runAsUser"))
    gid = csc.get("runAsGroup", psc.get("runAsGroup"))
    expect(f"runs as the image's tfws user 1000:1000 (got {uid}:{gid})", (uid, gid) == (1000, 1000))
    expect("with SSH on the root filesystem stays writable (SSH sessions are general shells; docs/images.md)",
           csc.get("readOnlyRootFilesystem") is False)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
