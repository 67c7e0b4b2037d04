#!/usr/bin/env bash
# make image (scripts/image.sh): the OCI archive of tunleak-static is
# reproducible, readable by skopeo and umoci, and its entrypoint runs alone
# in an empty root (the image's rootfs, with /proc and /sys mounted): it
# prints its version and counts a pod's leaks exactly.
. "$(dirname "$0")/lib.sh"
require_root
STATIC=$ROOT/tunleak-static
IMAGE=$ROOT/scripts/image.sh
# the version the Makefile gives, before its +gCOMMIT
VERSION_BASE=$(sed -n 's/^VERSION := \([0-9.]*\).*/\1/p' "$ROOT/Makefile")

if [ ! -x "$STATIC" ]; then
	echo "not ok image-build: $STATIC missing (make static)"
	exit 0
fi
for c in umoci skopeo jq; do
	if ! command -v "$c" >/dev/null; then
		echo "not ok image-build: $c missing (scripts/deps.sh)"
		exit 0
	fi
done
epoch=$(git -C "$ROOT" log -1 --format=%ct)
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)

# --- reproducible: twice the same bytes, another epoch another image ------------
"$IMAGE" "$STATIC" "$TMP/a.oci.tar" >"$TMP/build.log" 2>&1 || ERRORS+=("build: $(tail -3 "$TMP/build.log")")
sleep 1.1 # the clock moves; the image must not
"$IMAGE" "$STATIC" "$TMP/b.oci.tar" >>"$TMP/build.log" 2>&1 || ERRORS+=("second build: $(tail -3 "$TMP/build.log")")
SOURCE_DATE_EPOCH=1700000000 "$IMAGE" "$STATIC" "$TMP/c.oci.tar" >>"$TMP/build.log" 2>&1 ||
	ERRORS+=("third build: $(tail -3 "$TMP/build.log")")
a=$(sha256sum "$TMP/a.oci.tar" | cut -d' ' -f1)
expect_eq "sha256 of a second build" "$a" "$(sha256sum "$TMP/b.oci.tar" | cut -d' ' -f1)"
expect_true "another SOURCE_DATE_EPOCH gives another image" \
	test "$a" != "$(sha256sum "$TMP/c.oci.tar" | cut -d' ' -f1)"
echo "# image sha256 $a, $(stat -c %s "$TMP/a.oci.tar") bytes"
case_end reproducible

# --- what skopeo reads ------------------------------------------------------------
info=$(skopeo inspect "oci-archive:$TMP/a.oci.tar" 2>&1)
cfg=$(skopeo inspect --config "oci-archive:$TMP/a.oci.tar" 2>&1)
expect_eq "entrypoint" '["/tunleak"]' "$(jq -c .config.Entrypoint <<<"$cfg" 2>&1)"
expect_eq "no command" null "$(jq -c .config.Cmd <<<"$cfg" 2>&1)"
expect_eq "created is the commit's date" "$created" "$(jq -r .created <<<"$cfg" 2>&1)"
expect_eq "one layer" 1 "$(jq '.Layers | length' <<<"$info" 2>&1)"
expect_eq "os" linux "$(jq -r .Os <<<"$info" 2>&1)"
[ "$(uname -m)" = x86_64 ] && expect_eq "architecture" amd64 "$(jq -r .Architecture <<<"$info" 2>&1)"
expect_match "version label" "^${VERSION_BASE//./\\.}\\+g[0-9a-f]{7,}\$" \
	"$(jq -r '.Labels["org.opencontainers.image.version"]' <<<"$info" 2>&1)"
expect_eq "revision label" "$(git -C "$ROOT" rev-parse HEAD)" \
	"$(jq -r '.Labels["org.opencontainers.image.revision"]' <<<"$info" 2>&1)"
expect_match "description label" tunnel "$(jq -r '.Labels["org.opencontainers.image.description"]' <<<"$info" 2>&1)"
# a URL or nothing, never a local path (a clone's origin may be one)
src=$(jq -r '.Labels["org.opencontainers.image.source"] // empty' <<<"$info")
[ -n "$src" ] && expect_match "source label is a URL" '^(https?|ssh|git)://' "$src"
IMAGE_SOURCE=/home/someone/tunleak "$IMAGE" "$STATIC" "$TMP/src-path.oci.tar" >>"$TMP/build.log" 2>&1
expect_eq "a local path as the source label" "" \
	"$(skopeo inspect "oci-archive:$TMP/src-path.oci.tar" 2>&1 | jq -r '.Labels["org.opencontainers.image.source"] // empty')"
IMAGE_SOURCE=https://example.com/tunleak.git "$IMAGE" "$STATIC" "$TMP/e.oci.tar" >>"$TMP/build.log" 2>&1
expect_eq "a URL as the source label" https://example.com/tunleak.git \
	"$(skopeo inspect "oci-archive:$TMP/e.oci.tar" 2>&1 | jq -r '.Labels["org.opencontainers.image.source"] // empty')"
expect_match "licences label" '^\(LGPL-2\.1 OR BSD-2-Clause\) AND ' \
	"$(jq -r '.Labels["org.opencontainers.image.licenses"]' <<<"$info" 2>&1)"
expect_eq "history" "1 $created" "$(jq -r '"\(.history | length) \(.history[0].created)"' <<<"$cfg" 2>&1)"
expect_eq "created with another epoch" 2023-11-14T22:13:20Z \
	"$(skopeo inspect --config "oci-archive:$TMP/c.oci.tar" 2>&1 | jq -r .created 2>&1)"
case_end skopeo-inspect

# --- what umoci unpacks: the binary, alone -----------------------------------------
mkdir -p "$TMP/layout"
tar -xf "$TMP/a.oci.tar" -C "$TMP/layout"
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$TMP/layout/index.json")
# what podman load names the image (containers/common normalizes this
# annotation to localhost/tunleak:TAG; a bare tag would become the name)
expect_match "reference name" "^tunleak:${VERSION_BASE//./\\.}-g[0-9a-f]{7,}\$" "$tag"
if umoci unpack --image "$TMP/layout:$tag" "$TMP/bundle" >"$TMP/unpack.log" 2>&1; then
	R=$TMP/bundle/rootfs
	expect_eq "rootfs holds the binary and its licences" "licenses tunleak" "$(ls -A "$R" | tr '\n' ' ' | sed 's/ $//')"
	expect_true "tunleak's licence" cmp "$R/licenses/LICENSE" "$ROOT/LICENSE"
	expect_true "the notices" cmp "$R/licenses/THIRD_PARTY_NOTICES.md" "$ROOT/THIRD_PARTY_NOTICES.md"
	for p in libc6-dev libbpf-dev libelf-dev zlib1g-dev libnl-3-dev; do
		expect_true "$p's copyright file" cmp "$R/licenses/debian/$p/copyright" "/usr/share/doc/$p/copyright"
		expect_match "$p's version in SOURCES" "^$p [^ ]+ source [a-z0-9]+ " "$(grep "^$p " "$R/licenses/SOURCES")"
	done
	expect_true "the binary is tunleak-static" cmp "$R/tunleak" "$STATIC"
	expect_eq "its mode and owner" "755 0:0" "$(stat -c '%a %u:%g' "$R/tunleak")"
else
	ERRORS+=("umoci unpack: $(tr '\n' ' ' <"$TMP/unpack.log")")
fi
case_end umoci-unpack

# --- the entrypoint in an empty root ------------------------------------------------
# run_image ARGS...: the image's entrypoint with ARGS, chrooted into its rootfs
# in a private mount namespace (its /proc and /sys mounts die with it, on every
# path), in the background: PID in IMG_PID, output in $TMP/i.out and (inside
# the root, where tunleak can leave its ready file beside it) $R/out/i.err.
entry=$(jq -r '.config.Entrypoint[0]' <<<"$cfg")
run_image() {
	mkdir -p "$R/proc" "$R/sys" "$R/out"
	unshare --mount --propagation private sh -c '
		r=$1; shift
		mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" && exec chroot "$r" "$@"' \
		sh "$R" "$entry" "$@" >"$TMP/i.out" 2>"$R/out/i.err" &
	IMG_PID=$!
	track "$IMG_PID"
}

if [ -x "${R:-/nonexistent}/tunleak" ]; then
	run_image --version
	wait "$IMG_PID"
	expect_eq "exit code of --version" 0 "$?"
	expect_match "--version" "^tunleak ${VERSION_BASE//./\\.}\\+g[0-9a-f]{7,}\$" "$(cat "$TMP/i.out")"
	expect_eq "nothing left mounted" "" "$(grep -F "$R" /proc/self/mountinfo)"
else
	ERRORS+=("no rootfs to run")
fi
case_end entrypoint-version

if [ -x "${R:-/nonexistent}/tunleak" ] && topo_basic && wait_in_ns "$SINK_PID" "$POD"; then
	mkdir -p "$R/out"
	tl_ready_opts "$R/out/i.err" "$R/tunleak" "$R"
	run_image "${TL_READY[@]}" --pid "$SINK_PID" --cluster-cidr 10.128.0.0/14 --export /out/c.json \
		--interval 0.2 --json
	if tl_wait_ready "$R/out/i.err" 10; then
		pod_ping 4 10.130.0.5
		kill -TERM "$IMG_PID"
		wait "$IMG_PID"
		expect_eq "exit code after SIGTERM" 0 "$?"
		expect_eq "leak packets" 4 "$(jqf "$R/out/c.json" .leaks.packets)"
		expect_eq "leak bytes" 336 "$(jqf "$R/out/c.json" .leaks.bytes)"
		expect_eq "event" "leak tun0 10.8.0.2 10.130.0.5 icmp" \
			"$(flow_lines "$TMP/i.out" | jq -r '"\(.type) \(.iface) \(.src) \(.dst) \(.proto)"' 2>&1)"
	else
		ERRORS+=("did not start: $(tr '\n' ' ' <"$R/out/i.err")")
		kill -TERM "$IMG_PID" 2>/dev/null
		wait "$IMG_PID" 2>/dev/null
	fi
	expect_clean "$POD" eth0
	expect_clean "$POD" tun0
	expect_eq "nothing left mounted" "" "$(grep -F "$R" /proc/self/mountinfo)"
else
	ERRORS+=("setup: rootfs or topology")
fi
case_end entrypoint-traces

# --- what it refuses -----------------------------------------------------------------
out=$("$IMAGE" /bin/true "$TMP/d.oci.tar" 2>&1)
expect_eq "exit code for a dynamic binary" 2 "$?"
expect_match "a dynamic binary is refused" '^image\.sh: /bin/true: not statically linked' "$out"
out=$(SOURCE_DATE_EPOCH=yesterday "$IMAGE" "$STATIC" "$TMP/d.oci.tar" 2>&1)
expect_eq "exit code for a bad SOURCE_DATE_EPOCH" 2 "$?"
expect_eq "a bad SOURCE_DATE_EPOCH is refused" \
	'image.sh: SOURCE_DATE_EPOCH "yesterday": expected seconds since 1970' "$out"
expect_true "nothing written" test ! -e "$TMP/d.oci.tar"
case_end refuses
