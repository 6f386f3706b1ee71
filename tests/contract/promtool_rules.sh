#!/usr/bin/env bash
# Contract (no cluster, no server): the alert rules and dashboards are valid.
#  - `promtool check rules` on every charts/tfws-operator/rules/*.yaml
#  - `promtool test rules` on every charts/tfws-operator/rules/tests/*.yaml (each alert firing and quiet)
#  - every alert has severity, summary, description and a runbook_url whose anchor exists in
#    docs/observability.md
#  - the dashboards are valid Grafana JSON using ${datasource}/${loki}, and every PromQL expression
#    in them parses (checked by promtool as recording rules)
source "$(dirname "${BASH_SOURCE[0]}")/observe/lib.sh"
need promtool prometheus
need "$PY" python3

WORK=$(mktemp -d /tmp/tfws-promtool.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

for f in "$CHART"/rules/*.yaml; do
  check "promtool check rules ${f#$ROOT/}" promtool check rules "$f"
done
for f in "$CHART"/rules/tests/*.yaml; do
  check "promtool test rules ${f#$ROOT/}" promtool test rules "$f"
done

check "every alert has severity, summary, description and a runbook anchor in docs/observability.md" \
  "$PY" - "$CHART/rules" "$ROOT/docs/observability.md" <<'PY'
import glob, os, re, sys, yaml
rules_dir, doc = sys.argv[1], sys.argv[2]
text = open(doc).read() if os.path.exists(doc) else ""
# GitHub-style anchors of the doc's headings.
anchors = {re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-")
           for h in re.findall(r"^#+\s+(.*)$", text, re.M)}
anchors |= set(re.findall(r'<a (?:name|id)="([^"]+)"', text))
bad = []
for path in glob.glob(os.path.join(rules_dir, "*.yaml")):
    for g in yaml.safe_load(open(path))["groups"]:
        for r in g["rules"]:
            if "alert" not in r:
                continue
            a = r["alert"]
            if r.get("labels", {}).get("severity") not in ("info", "warning", "critical"):
                bad.append(f"{a}: labels.severity must be info|warning|critical")
            for k in ("summary", "description", "runbook_url"):
                if not r.get("annotations", {}).get(k):
                    bad.append(f"{a}: missing annotations.{k}")
            url = r.get("annotations", {}).get("runbook_url", "")
            anchor = url.split("#", 1)[1] if "#" in url else ""
            if not url.startswith("docs/observability.md#") or anchor not in anchors:
                bad.append(f"{a}: runbook_url {url!r} has no matching heading in docs/observability.md")
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
PY

check "dashboards are valid Grafana JSON with \${datasource}/\${loki} variables" \
  "$PY" "$OBSERVE_DIR/promql_exprs.py" --check-dashboards
"$PY" "$OBSERVE_DIR/promql_exprs.py" >"$WORK/exprs.jsonl" 2>/dev/null
"$PY" - "$WORK/exprs.jsonl" >"$WORK/dashboard-exprs.rules.yaml" <<'PY'
import json, sys, yaml
rules = []
for i, line in enumerate(open(sys.argv[1])):
    e = json.loads(line)
    if e["kind"] != "rule":
        rules.append({"record": f"tfws_check:expr_{i}", "expr": e["expr"]})
print(yaml.safe_dump({"groups": [{"name": "dashboard-expressions", "rules": rules}]}, width=100000))
PY
N=$(grep -c '"kind": "panel"\|"kind": "variable"' "$WORK/exprs.jsonl")
check "all $N dashboard PromQL expressions parse (promtool check rules)" promtool check rules "$WORK/dashboard-exprs.rules.yaml"
finish
