#!/usr/bin/env python3
"""A static stand-in for NVIDIA's DCGM exporter, for the Prometheus contract test.

It serves DCGM_FI_DEV_GPU_UTIL (and a few companion series) for every GPU workspace Pod the
operator reports: it reads the operator's /metrics (tfws_workspace_info with a pod and a GPU
resource, tfws_workspace_gpus_allocated for the count) and makes one series per GPU with labels
gpu, UUID, modelName, Hostname, pod, namespace, container - as the real exporter does with its
pod mapping. Workspaces whose name contains "idle" stay below 5 %; others vary over time.

  GET /metrics?shard=N&shards=M   only the pods with hash(pod) % M == N (two scrape jobs can
                                  then cover the honorLabels true and false styles)
Usage: fake_dcgm_exporter.py --operator-metrics-url URL --port-file FILE
"""
import argparse
import hashlib
import http.server
import math
import re
import time
import urllib.parse
import urllib.request

SERIES = re.compile(r'^(\w+)\{(.*)\}\s+(\S+)')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_exposition(text):
    for line in text.splitlines():
        m = SERIES.match(line)
        if m:
            yield m.group(1), dict(LABEL.findall(m.group(2))), float(m.group(3))


def stable_hash(s):
    return int(hashlib.sha256(s.encode()).hexdigest()[:8], 16)


class Exporter:
    def __init__(self, operator_url):
        self.operator_url = operator_url
        self.cache = (0.0, [])

    def workspaces(self):
        if time.time() - self.cache[0] < 2:
            return self.cache[1]
        try:
            text = urllib.request.urlopen(self.operator_url, timeout=5).read().decode()
        except OSError:
            return self.cache[1]
        info, gpus = {}, {}
        for name, labels, value in parse_exposition(text):
            key = (labels.get("namespace"), labels.get("workspace"))
            if name == "tfws_workspace_info" and labels.get("pod") and labels.get("gpu_resource"):
                info[key] = labels
            elif name == "tfws_workspace_gpus_allocated":
                gpus[key] = value
        result = [dict(labels, count=int(gpus.get(key, 1)) or 1) for key, labels in sorted(info.items())]
        self.cache = (time.time(), result)
        return result

    def exposition(self, shard, shards):
        now = time.time()
        out = ["# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).", "# TYPE DCGM_FI_DEV_GPU_UTIL gauge"]
        fb = ["# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).", "# TYPE DCGM_FI_DEV_FB_USED gauge"]
        for ws in self.workspaces():
            if stable_hash(ws["pod"]) % shards != shard:
                continue
            seed = stable_hash(ws["namespace"] + "/" + ws["workspace"])
            mig = "mig" in ws["gpu_resource"]
            model = "NVIDIA A100-SXM4-80GB" if "h100" not in ws["node"] else "NVIDIA H100 80GB HBM3"
            for i in range(ws["count"]):
                if "idle" in ws["workspace"]:
                    util = 1 + (seed + i) % 3
                else:
                    phase = (seed % 628) / 100.0 + i
                    util = max(0, min(100, round(55 + 40 * math.sin(now / 45.0 + phase))))
                gpu = (seed + i) % 8
                labels = (f'gpu="{gpu}",UUID="GPU-{seed:08x}-{i:04d}",device="nvidia{gpu}",'
                          f'modelName="{model}",Hostname="{ws["node"]}",'
                          f'container="workspace",namespace="{ws["namespace"]}",pod="{ws["pod"]}"')
                if mig:
                    labels += ',GPU_I_PROFILE="1g.10gb",GPU_I_ID="1"'
                out.append(f"DCGM_FI_DEV_GPU_UTIL{{{labels}}} {util}")
                fb.append(f"DCGM_FI_DEV_FB_USED{{{labels}}} {int(300 + util * 700)}")
        return "\n".join(out + fb) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--operator-metrics-url", required=True)
    ap.add_argument("--port-file", required=True)
    args = ap.parse_args()
    exporter = Exporter(args.operator_metrics_url)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            if url.path != "/metrics":
                self.send_error(404)
                return
            q = urllib.parse.parse_qs(url.query)
            body = exporter.exposition(int(q.get("shard", ["0"])[0]), int(q.get("shards", ["1"])[0])).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(f"{server.server_address[1]}\n")
    import os
    os.replace(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
