#!/usr/bin/env bash
# Each variant of deploy/ built by kustomize itself (`kubectl kustomize`)
# gives the objects that tests/deploy/validate.py builds and checks. Prints
# "ok NAME", "not ok NAME: why" or "skip NAME: why". Not part of make test:
# Debian 12 has no kubectl; run it where kubectl is installed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
if ! command -v kubectl >/dev/null || ! kubectl kustomize --help >/dev/null 2>&1; then
	echo "skip kustomize: kubectl missing (not in Debian 12; validate.py builds the variants itself)"
	exit 0
fi
TMP=$(mktemp -d /tmp/tunleak-kustomize.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
for k in "$ROOT"/deploy/kustomization.yaml "$ROOT"/deploy/*/kustomization.yaml; do
	d=$(dirname "$k")
	v=$(realpath --relative-to="$ROOT/deploy" "$d")
	if ! kubectl kustomize "$d" >"$TMP/k.yaml" 2>"$TMP/err"; then
		echo "not ok kustomize/$v: $(tr '\n' ' ' <"$TMP/err" | cut -c1-300)"
		continue
	fi
	"$PY" -c 'import json, sys, yaml
objs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
json.dump(sorted(objs, key=lambda d: (d["kind"], d["metadata"]["name"])), sys.stdout, sort_keys=True, indent=1)' \
		"$TMP/k.yaml" >"$TMP/k.json"
	"$PY" "$ROOT/tests/deploy/validate.py" --build "$v" "$ROOT/deploy" >"$TMP/v.json" 2>"$TMP/err"
	if cmp -s "$TMP/k.json" "$TMP/v.json"; then
		echo "ok kustomize/$v: $("$PY" -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$TMP/k.json") objects, as validate.py builds them"
	else
		echo "not ok kustomize/$v: kubectl kustomize and validate.py differ: $(diff "$TMP/k.json" "$TMP/v.json" | head -6 | tr '\n' ' ')"
	fi
done
