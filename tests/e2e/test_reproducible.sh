#!/usr/bin/env bash
# Reproducible from any path: the committed tree cloned into two directories
# of different names and depths, tunleak-static and tunleak.oci.tar built in
# each (only those): the same bytes, and no build path inside them.
. "$(dirname "$0")/lib.sh"
require_root
for c in git umoci skopeo; do
	if ! command -v "$c" >/dev/null; then
		echo "not ok setup: $c missing (scripts/deps.sh)"
		exit 0
	fi
done
REV=$(git -C "$ROOT" rev-parse HEAD)
A=$TMP/a/tunleak
B=$TMP/bb/some/deeper/checkout-of-tunleak
for d in "$A" "$B"; do
	mkdir -p "$(dirname "$d")"
	if ! git clone -q --no-hardlinks "$ROOT" "$d" 2>"$TMP/clone.err" ||
		! git -C "$d" checkout -q --detach "$REV" 2>>"$TMP/clone.err"; then
		echo "not ok setup: git clone: $(tr '\n' ' ' <"$TMP/clone.err")"
		exit 0
	fi
done
echo "# commit $REV, in $A and $B"
start=$(date +%s)
# one build per core, side by side
for d in "$A" "$B"; do
	make -C "$d" -s tunleak-static image >"$d.build.log" 2>&1 &
	track "$!"
	eval "PID_$(basename "$(dirname "$d")")=$!"
done
wait "$PID_a"
rc_a=$?
wait "$PID_deeper"
rc_b=$?
echo "# both built in $(($(date +%s) - start)) s"
expect_eq "build in $A" 0 "$rc_a"
expect_eq "build in $B" 0 "$rc_b"
[ "$rc_a" = 0 ] || ERRORS+=("$(tail -3 "$A.build.log" | tr '\n' ' ')")
[ "$rc_b" = 0 ] || ERRORS+=("$(tail -3 "$B.build.log" | tr '\n' ' ')")
case_end build-in-two-paths

for f in tunleak-static tunleak.oci.tar; do
	expect_true "$f differs between the two paths" cmp -s "$A/$f" "$B/$f"
	echo "# $f: $(sha256sum "$A/$f" | cut -c1-16) $(sha256sum "$B/$f" | cut -c1-16)"
done
for d in "$A" "$B"; do
	expect_eq "the build path in $d/tunleak-static" 0 "$(strings -a "$d/tunleak-static" | grep -c "$TMP")"
done
expect_eq "the build path in the image" 0 "$(tar -xOf "$A/tunleak.oci.tar" | strings -a | grep -c "$TMP")"
case_end same-bytes-from-two-paths
