#!/usr/bin/env python3
"""Extracts every PromQL expression from the Grafana dashboards and the alert rule files.

Usage: promql_exprs.py [--dashboards DIR] [--rules DIR] [--check-dashboards]
Prints one JSON object per line: {"source", "title", "expr", "kind", "backed_by"}
  kind       panel | variable | rule
  backed_by  dcgm (needs DCGM exporter series and the operator) | operator | none
Grafana variables are replaced by values Prometheus accepts: $__rate_interval -> 1m,
$__range -> 1h, $__interval -> 30s, the dashboard's own $var / ${var} -> .* (the "All" value).
--check-dashboards also verifies the dashboards' structure (valid JSON, uid/title, datasource
variables ${datasource} (Prometheus) and ${loki} (Loki) used by every target, unique panel ids)
and exits 1 listing every problem.
"""
import argparse
import glob
import json
import os
import re
import sys

ROOT = os.environ.get("TFWS_SOURCE_DIR") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILTINS = {"__rate_interval": "1m", "__range": "1h", "__interval": "30s", "__range_s": "3600"}


def substitute(expr, variables):
    """Replaces Grafana's built-in and the dashboard's own variables; leaves anything else
    (such as label_replace's "$1") alone, as Grafana does."""
    def repl(m):
        name = m.group(1) or m.group(2)
        if name in BUILTINS:
            return BUILTINS[name]
        return ".*" if name in variables else m.group(0)
    return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", repl, expr)


def backed_by(expr):
    if "DCGM_" in expr:
        return "dcgm"
    if re.search(r"\b(tfws_|controller_runtime_|workqueue_|rest_client_|leader_election_)", expr):
        return "operator"
    return "none"


def dashboard_panels(dash):
    for p in dash.get("panels", []):
        yield p
        for sub in p.get("panels", []) or []:
            yield sub


def from_dashboards(directory, problems):
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        rel = os.path.relpath(path, ROOT)
        try:
            with open(path) as f:
                dash = json.load(f)
        except ValueError as e:
            problems.append(f"{rel}: invalid JSON: {e}")
            continue
        for key in ("uid", "title", "panels", "templating"):
            if key not in dash:
                problems.append(f"{rel}: missing top-level key {key!r}")
        variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
        if variables.get("datasource", {}).get("query") != "prometheus":
            problems.append(f"{rel}: needs a datasource variable 'datasource' of type prometheus")
        ids = set()
        for p in dashboard_panels(dash):
            if p.get("id") in ids:
                problems.append(f"{rel}: duplicate panel id {p.get('id')}")
            ids.add(p.get("id"))
            if p.get("type") == "row":
                continue
            for t in p.get("targets", []):
                ds = t.get("datasource", {})
                if ds.get("type") == "loki":
                    if ds.get("uid") != "${loki}":
                        problems.append(f"{rel}: panel {p.get('title')!r}: Loki target must use ${{loki}}")
                    if "loki" not in variables:
                        problems.append(f"{rel}: has a Loki panel but no 'loki' datasource variable")
                    continue
                if ds.get("uid") != "${datasource}":
                    problems.append(f"{rel}: panel {p.get('title')!r}: target must use ${{datasource}}, has {ds}")
                if not t.get("expr"):
                    problems.append(f"{rel}: panel {p.get('title')!r}: empty expr")
                    continue
                yield {"source": rel, "title": p.get("title"), "expr": substitute(t["expr"], variables),
                       "kind": "panel", "backed_by": backed_by(t["expr"])}
        for name, v in variables.items():
            if v.get("type") != "query":
                continue
            q = v.get("query")
            q = q.get("query") if isinstance(q, dict) else q
            m = re.match(r"\s*label_values\((.*),\s*(\w+)\)\s*$", q or "")
            if not m:
                problems.append(f"{rel}: variable {name}: expected label_values(selector, label), got {q!r}")
                continue
            yield {"source": rel, "title": f"variable {name}", "expr": substitute(m.group(1), variables),
                   "kind": "variable", "backed_by": backed_by(m.group(1))}


def from_rules(directory, problems):
    import yaml  # python3-yaml
    for path in sorted(glob.glob(os.path.join(directory, "*.yaml"))):
        rel = os.path.relpath(path, ROOT)
        with open(path) as f:
            doc = yaml.safe_load(f)
        for group in doc.get("groups", []):
            for rule in group.get("rules", []):
                yield {"source": rel, "title": rule.get("alert") or rule.get("record"),
                       "expr": rule["expr"].strip(), "kind": "rule", "backed_by": backed_by(rule["expr"])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dashboards", default=os.path.join(ROOT, "charts/tfws-operator/dashboards"))
    ap.add_argument("--rules", default=os.path.join(ROOT, "charts/tfws-operator/rules"))
    ap.add_argument("--check-dashboards", action="store_true")
    args = ap.parse_args()
    problems = []
    exprs = list(from_dashboards(args.dashboards, problems)) + list(from_rules(args.rules, problems))
    for e in exprs:
        print(json.dumps(e))
    if args.check_dashboards and problems:
        for p in problems:
            print("PROBLEM: " + p, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
