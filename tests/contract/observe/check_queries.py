#!/usr/bin/env python3
"""Evaluates every dashboard and rule expression (from promql_exprs.py) through a real
Prometheus HTTP API and checks the results.

Usage: check_queries.py PROMETHEUS_URL EXPRS_JSONL [--wait SECONDS] [--expect-workspaces a/b,c/d]
  - every expression must be accepted (status "success");
  - dashboard panels and variables backed by the operator or by DCGM series must return data
    (empty results are retried until --wait runs out: rates and subqueries need a few scrapes);
    panels in ALLOWED_EMPTY may be empty and say why;
  - the per-workspace GPU utilisation panel must return every GPU workspace that has a Pod
    (--expect-workspaces; else every tfws_workspace_info series with pod and gpu_resource),
    proving the DCGM join works for both label styles the scrape config produces.
Prints "ok   ..." / "FAIL ..." lines and "N passed, N failed"; exits 1 on any failure.
"""
import argparse
import json
import sys
import time
import urllib.parse
import urllib.request

ALLOWED_EMPTY = {
    "Dropped log lines": "tfws_log_lines_dropped_total exists only when --loki-url is set",
}


def query(base, expr):
    url = base.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.loads(e.read().decode() or "{}") or {"status": "error", "error": str(e)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prometheus")
    ap.add_argument("exprs")
    ap.add_argument("--wait", type=float, default=90)
    ap.add_argument("--expect-workspaces", default="")
    args = ap.parse_args()
    exprs = [json.loads(l) for l in open(args.exprs) if l.strip()]
    passed = failed = 0

    def ok(msg):
        nonlocal passed
        passed += 1
        print("ok   " + msg, flush=True)

    def fail(msg, detail=""):
        nonlocal failed
        failed += 1
        print("FAIL " + msg, flush=True)
        if detail:
            print("     " + detail[:1500], flush=True)

    deadline = time.time() + args.wait
    for e in exprs:
        label = f'{e["source"].split("/")[-1]}: {e["title"]} [{e["kind"]}]'
        needs_data = e["kind"] in ("panel", "variable") and e["backed_by"] in ("operator", "dcgm")
        while True:
            r = query(args.prometheus, e["expr"])
            if r.get("status") != "success":
                fail(f"{label}: Prometheus rejected the expression", f'{r.get("error")}: {e["expr"]}')
                break
            n = len(r["data"]["result"]) if isinstance(r["data"]["result"], list) else 1
            if not needs_data:
                ok(f"{label}: parses ({n} series)")
                break
            if n > 0:
                ok(f"{label}: {n} series")
                break
            if e["title"] in ALLOWED_EMPTY:
                ok(f'{label}: empty, allowed ({ALLOWED_EMPTY[e["title"]]})')
                break
            if time.time() > deadline:
                fail(f"{label}: no data", e["expr"])
                break
            time.sleep(2)

    # The DCGM join: every GPU workspace with a Pod shows up in the utilisation panel.
    util = next((e for e in exprs if e["title"] == "GPU utilisation per workspace"), None)
    if util is None:
        fail("dashboard has a 'GPU utilisation per workspace' panel")
    else:
        if args.expect_workspaces:
            expected = set(args.expect_workspaces.split(","))
        else:
            info = query(args.prometheus, 'tfws_workspace_info{pod!="", gpu_resource!=""}')
            expected = {f'{s["metric"]["namespace"]}/{s["metric"]["workspace"]}' for s in info["data"]["result"]}
        while True:
            res = query(args.prometheus, util["expr"])["data"]["result"]
            got = {f'{s["metric"].get("namespace")}/{s["metric"].get("workspace")}' for s in res}
            if got == expected or time.time() > deadline:
                break
            time.sleep(2)
        if expected and got == expected:
            ok(f"GPU utilisation joins DCGM series to every GPU workspace: {', '.join(sorted(got))}")
        else:
            fail("GPU utilisation per workspace covers exactly the GPU workspaces",
                 f"expected {sorted(expected)}, got {sorted(got)}")
        styles = query(args.prometheus, 'count by (job) (DCGM_FI_DEV_GPU_UTIL{exported_pod!=""}) or count by (job) (DCGM_FI_DEV_GPU_UTIL{exported_pod=""})')
        jobs = {s["metric"].get("job") for s in styles["data"]["result"]}
        if {"dcgm-exported-labels", "dcgm-honor-labels"} <= jobs:
            renamed = query(args.prometheus, 'count(DCGM_FI_DEV_GPU_UTIL{job="dcgm-exported-labels", exported_pod!=""})')["data"]["result"]
            if renamed:
                ok("DCGM series arrive in both label styles (exported_pod/exported_namespace and pod/namespace)")
            else:
                fail("honor_labels: false job produced exported_pod labels")
        else:
            fail("both DCGM scrape jobs have series", f"jobs with series: {sorted(j for j in jobs if j)}")

    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
