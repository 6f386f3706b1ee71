#!/usr/bin/env python3
"""Evaluates the stream selector of the GPU dashboard's Loki logs panel against the real Loki
push-API server the operator pushed to (VictoriaLogs, whose LogsQL accepts Loki stream selectors),
once per workspace with the dashboard variables set to that workspace.

Usage: check_logs_panel.py DASHBOARD_JSON VICTORIALOGS_URL ns/name,ns/name,... [--wait SECONDS]
  - the panel's selector (its expr up to the first "|") returns lines for every workspace;
  - every returned line belongs to that workspace's stream and was the operator's JSON object
    (VictoriaLogs parsed it into fields: msg, level, logger, ...).
Prints "ok   ..." / "FAIL ..." lines and "N passed, N failed"; exits 1 on any failure.
"""
import argparse
import json
import sys
import time
import urllib.parse
import urllib.request


def logs_panel_selector(dashboard):
    for panel in json.load(open(dashboard))["panels"]:
        if panel.get("type") == "logs":
            return panel["title"], panel["targets"][0]["expr"].split("|", 1)[0].strip()
    raise SystemExit("FAIL the dashboard has no logs panel")


def query(base, logsql):
    url = base.rstrip("/") + "/select/logsql/query?" + urllib.parse.urlencode({"query": logsql, "limit": "50"})
    try:
        r = urllib.request.urlopen(url, timeout=20)
    except urllib.error.HTTPError as e:
        raise SystemExit(f"FAIL VictoriaLogs refused {logsql!r}: {e.code} {e.read().decode()[:500]}")
    with r:
        return [json.loads(line) for line in r.read().decode().splitlines() if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dashboard")
    ap.add_argument("victorialogs")
    ap.add_argument("workspaces")
    ap.add_argument("--wait", type=float, default=60)
    args = ap.parse_args()
    title, selector = logs_panel_selector(args.dashboard)
    passed = failed = 0
    deadline = time.time() + args.wait
    for key in args.workspaces.split(","):
        ns, name = key.split("/")
        # DNS-1123 names hold no regex metacharacters, so they stand for themselves in =~.
        expr = selector.replace("$namespace", ns).replace("$workspace", name)
        while True:
            rows = query(args.victorialogs, expr)
            if rows or time.time() > deadline:
                break
            time.sleep(1)
        foreign = [r for r in rows if f'namespace="{ns}"' not in r.get("_stream", "") or f'workspace="{name}"' not in r.get("_stream", "")]
        # The line was the operator's JSON object: VictoriaLogs split it into fields (msg -> _msg).
        not_json = [r for r in rows if not (r.get("_msg") and r.get("level") and r.get("logger"))]
        if rows and not foreign and not not_json:
            passed += 1
            print(f"ok   {title} for {key}: {len(rows)} lines from stream {rows[0]['_stream']}", flush=True)
        else:
            failed += 1
            print(f"FAIL {title} for {key}: {len(rows)} lines, {len(foreign)} of another stream, "
                  f"{len(not_json)} not JSON ({expr})", flush=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
