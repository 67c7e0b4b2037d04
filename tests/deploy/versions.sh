#!/usr/bin/env bash
# One version everywhere: every "tunleak:X.Y.Z" (an image tag) and "tunleak
# X.Y.Z" in the README, deploy/ and docs/ (the man page's header) is the
# Makefile's VERSION. Prints "ok NAME" or "not ok NAME: why".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
want=$(sed -n 's/^VERSION := \([0-9][0-9.]*\).*/\1/p' "$ROOT/Makefile")
if [ -z "$want" ]; then
	echo "not ok versions: no VERSION in the Makefile"
	exit 0
fi
cd "$ROOT" || exit 0
found=$(grep -rnoE 'tunleak[: ][0-9]+\.[0-9]+\.[0-9]+' README.md deploy docs)
n=$(grep -c . <<<"$found")
bad=$(grep -vE "tunleak[: ]${want//./\\.}\$" <<<"$found" | tr '\n' ' ')
if [ -z "$found" ]; then
	echo "not ok versions: no version named in README.md, deploy/, docs/ (the check would see none)"
elif [ -n "$bad" ]; then
	echo "not ok versions: the Makefile says $want, these do not: $bad"
else
	echo "ok versions: $n mentions, all $want"
fi
