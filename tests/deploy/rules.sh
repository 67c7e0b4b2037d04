#!/usr/bin/env bash
# The alerts of deploy/base/prometheusrule.yaml under Prometheus's own tools:
# `promtool check rules` on its rule groups, then `promtool test rules` on
# tests/deploy/rules/ALERT.test.yaml for every alert (an alert without its
# test file fails), then broken copies of the rules that those tests must
# refuse. Prints "ok NAME", "not ok NAME: why" or "skip NAME: why".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
RULES=$ROOT/deploy/base/prometheusrule.yaml
TESTS=$ROOT/tests/deploy/rules

if ! command -v promtool >/dev/null; then
	echo "skip rules: promtool missing (Debian's prometheus package: scripts/deps.sh)"
	exit 0
fi
TMP=$(mktemp -d /tmp/tunleak-rules.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# rules_of IN OUT [SED]: the PrometheusRule's spec (a plain rules file), the
# alert expressions edited by SED when given
rules_of() {
	"$PY" - "$1" "$2" "${3:-}" <<'EOF'
import re, sys, yaml
src, out, edit = sys.argv[1:4]
spec = yaml.safe_load(open(src))["spec"]
if edit:
    alert, old, new = edit.split("|")
    for g in spec["groups"]:
        for r in g["rules"]:
            if r.get("alert") == alert:
                if old not in r["expr"]:
                    sys.exit("%s: %r not in its expr" % (alert, old))
                r["expr"] = r["expr"].replace(old, new)
yaml.safe_dump(spec, open(out, "w"), sort_keys=False)
EOF
}

# first_lines FILE: a promtool report on one line
first_lines() { grep -v '^Unit Testing' "$1" | tr -s ' \n' ' ' | cut -c1-400; }

if ! rules_of "$RULES" "$TMP/tunleak.rules.yaml" 2>"$TMP/err"; then
	echo "not ok rules/extract: $(tr '\n' ' ' <"$TMP/err")"
	exit 0
fi
if promtool check rules "$TMP/tunleak.rules.yaml" >"$TMP/out" 2>&1; then
	echo "ok rules/check: $(grep -o '[0-9]* rules found' "$TMP/out")"
else
	echo "not ok rules/check: $(tr -s ' \n' ' ' <"$TMP/out")"
fi

alerts=$("$PY" -c 'import sys, yaml
for g in yaml.safe_load(open(sys.argv[1]))["spec"]["groups"]:
    for r in g["rules"]:
        if "alert" in r:
            print(r["alert"])' "$RULES")
for a in $alerts; do
	if [ ! -f "$TESTS/$a.test.yaml" ]; then
		echo "not ok rules/$a: no unit test ($TESTS/$a.test.yaml)"
		continue
	fi
	cp "$TESTS/$a.test.yaml" "$TMP/"
	if (cd "$TMP" && promtool test rules "$a.test.yaml") >"$TMP/out" 2>&1; then
		echo "ok rules/$a: $(grep -c '^  - name:' "$TESTS/$a.test.yaml") cases"
	else
		echo "not ok rules/$a: $(first_lines "$TMP/out")"
	fi
done
for t in "$TESTS"/*.test.yaml; do
	a=$(basename "$t" .test.yaml)
	grep -qx "$a" <<<"$alerts" || echo "not ok rules/$a: a test for an alert that deploy/ does not have"
done

# The tests must refuse what the alerts were before: grouped by tunleak's own
# pod label, or not by netns (two namespaces without a pod name merged).
BREAKS=(
	"by-target-pod|TunleakLeak|k8s_pod) (tunleak_leak_packets_total)|pod) (tunleak_leak_packets_total)"
	"not-by-netns|TunleakLeak|node, netns, k8s_namespace, k8s_pod) (increase|node, k8s_namespace, k8s_pod) (increase"
	"no-first-scrape|TunleakLeak|(tunleak_leak_packets_total) > 0|(tunleak_leak_packets_total) > 1e9"
	"route-threshold|TunleakRouteLeak|> 0|> 1"
)
for b in "${BREAKS[@]}"; do
	IFS='|' read -r name alert old new <<<"$b"
	mkdir -p "$TMP/$name"
	if ! rules_of "$RULES" "$TMP/$name/tunleak.rules.yaml" "$alert|$old|$new" 2>"$TMP/err"; then
		echo "not ok rules/self-test-$name: $(tr '\n' ' ' <"$TMP/err")"
		continue
	fi
	cp "$TESTS/$alert.test.yaml" "$TMP/$name/"
	if (cd "$TMP/$name" && promtool test rules "$alert.test.yaml") >"$TMP/out" 2>&1; then
		echo "not ok rules/self-test-$name: $alert's tests pass with its expr broken ($old -> $new)"
	else
		echo "ok rules/self-test-$name"
	fi
done
