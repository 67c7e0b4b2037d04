#!/usr/bin/env bash
# scripts/image.sh STATIC_BINARY OUT.oci.tar: an OCI image archive FROM
# scratch holding the binary, as /tunleak, with entrypoint ["/tunleak"], and
# the licences of what it contains under /licenses (LICENSE,
# THIRD_PARTY_NOTICES.md: tunleak's, and the copyright files of the Debian
# packages linked into it, with their versions in /licenses/SOURCES).
# Nothing is pulled. Built with umoci, reproducibly: the same binary and
# commit give the same bytes (every timestamp is SOURCE_DATE_EPOCH, by default
# the commit's date; the layer and the archive are sorted tars with numeric
# owners; umoci's gzip carries no name or time; blobs left over by the steps
# are collected before the layout is archived).
#
# Environment: SOURCE_DATE_EPOCH (default: the commit date of HEAD),
# VERSION (default: the Makefile's, X.Y.Z+g<commit>), IMAGE_SOURCE (the
# source URL label; default: git's origin URL if it is a URL, else no label:
# never a local path), IMAGE_ARCH (default: this machine's, in OCI terms).
# Its reference name is tunleak:TAG (what podman load names it). Load it
# with: skopeo copy oci-archive:OUT docker://... or podman load -i OUT
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: scripts/image.sh STATIC_BINARY OUT.oci.tar" >&2
	exit 2
fi
BIN=$1
OUT=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TL_PROG=image.sh
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

[ -f "$BIN" ] && [ -x "$BIN" ] || bad "$BIN: not an executable file (make static)"
# FROM scratch has no loader and no library: only a static binary runs there
if ! file -b "$BIN" | grep -q "statically linked"; then
	bad "$BIN: not statically linked ($(file -b "$BIN" | cut -d, -f1-2))"
fi
for c in umoci jq file; do
	command -v "$c" >/dev/null || bad "$c missing: run scripts/deps.sh"
done

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null) ||
		bad "not a git checkout: set SOURCE_DATE_EPOCH"
fi
[[ "$SOURCE_DATE_EPOCH" =~ ^[0-9]+$ ]] || bad "SOURCE_DATE_EPOCH \"$SOURCE_DATE_EPOCH\": expected seconds since 1970"
CREATED=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
COMMIT=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
# the Makefile's own, so that the two cannot drift apart
VERSION=${VERSION:-$(sed -n 's/^VERSION := \([0-9.]*\).*/\1/p' "$ROOT/Makefile")+g$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}
# a URL or nothing: a clone's origin may be the path it was cloned from,
# which would also make two clones' images differ
if [ -z "${IMAGE_SOURCE+set}" ]; then
	IMAGE_SOURCE=$(git -C "$ROOT" remote get-url origin 2>/dev/null || true)
fi
[[ "$IMAGE_SOURCE" =~ ^(https?|ssh|git)://[^/]+/ ]] || IMAGE_SOURCE=""
case "${IMAGE_ARCH:-$(uname -m)}" in
x86_64 | amd64) ARCH=amd64 ;;
aarch64 | arm64) ARCH=arm64 ;;
ppc64le) ARCH=ppc64le ;;
s390x) ARCH=s390x ;;
*) bad "architecture ${IMAGE_ARCH:-$(uname -m)}: set IMAGE_ARCH to its OCI name" ;;
esac
# an OCI/Docker tag: letters, digits, _ . - (the version's + is not one)
TAG=${VERSION//+/-}

tmpdir W image
umask 022

umoci init --layout "$W/layout"
umoci new --image "$W/layout:$TAG"
# the empty image's root, to which the binary is added
if [ "$(id -u)" -eq 0 ]; then
	umoci unpack --image "$W/layout:$TAG" "$W/bundle" >/dev/null
else
	umoci unpack --rootless --image "$W/layout:$TAG" "$W/bundle" >/dev/null
fi
chmod 0755 "$W/bundle/rootfs"
install -m 0755 "$BIN" "$W/bundle/rootfs/tunleak"
# the licences: tunleak's, and those of the Debian packages linked into it
L=$W/bundle/rootfs/licenses
install -D -m 0644 "$ROOT/LICENSE" "$L/LICENSE"
install -D -m 0644 "$ROOT/THIRD_PARTY_NOTICES.md" "$L/THIRD_PARTY_NOTICES.md"
for f in "$ROOT"/LICENSES/*; do install -D -m 0644 "$f" "$L/LICENSES/$(basename "$f")"; done
LINKED=(libc6-dev libbpf-dev libelf-dev zlib1g-dev libnl-3-dev)
for p in "${LINKED[@]}"; do
	[ -f "/usr/share/doc/$p/copyright" ] || die "/usr/share/doc/$p/copyright missing: is $p installed (scripts/deps.sh)?"
	install -D -m 0644 "/usr/share/doc/$p/copyright" "$L/debian/$p/copyright"
done
for f in GPL-2 GPL-3 LGPL-2.1 LGPL-3; do
	install -D -m 0644 "/usr/share/common-licenses/$f" "$L/common-licenses/$f"
done
dpkg-query -W -f '${Package} ${Version} source ${source:Package} ${source:Version}\n' \
	"${LINKED[@]}" >"$L/SOURCES"
chmod 0644 "$L/SOURCES"
find "$L" -type d -exec chmod 0755 {} +
find "$W/bundle/rootfs" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
umoci repack --image "$W/layout:$TAG" --history.created "$CREATED" \
	--history.created_by "scripts/image.sh: COPY $(basename "$BIN") /tunleak" "$W/bundle"
umoci config --image "$W/layout:$TAG" --no-history --created "$CREATED" \
	--os linux --architecture "$ARCH" \
	--config.entrypoint /tunleak --config.workingdir / \
	--config.label "org.opencontainers.image.title=tunleak" \
	--config.label "org.opencontainers.image.description=Finds pods whose VPN routes send cluster traffic into the tunnel (eBPF, tc)" \
	--config.label "org.opencontainers.image.version=$VERSION" \
	--config.label "org.opencontainers.image.revision=$COMMIT" \
	${IMAGE_SOURCE:+--config.label "org.opencontainers.image.source=$IMAGE_SOURCE"} \
	--config.label "org.opencontainers.image.created=$CREATED" \
	--config.label "org.opencontainers.image.licenses=(LGPL-2.1 OR BSD-2-Clause) AND LGPL-2.1-or-later AND (LGPL-3.0-or-later OR GPL-2.0-or-later) AND Zlib AND LGPL-2.1"
# unpack, repack and config each wrote a new manifest and config: keep the last
umoci gc --layout "$W/layout"
# The reference name podman load gives the image: "tunleak:TAG", not the
# bare tag (which it would take for a repository name, localhost/TAG)
jq -c --arg ref "tunleak:$TAG" \
	'.manifests[0].annotations["org.opencontainers.image.ref.name"] = $ref' \
	"$W/layout/index.json" >"$W/index.json"
mv "$W/index.json" "$W/layout/index.json"
touch -d "@$SOURCE_DATE_EPOCH" "$W/layout/index.json"

mkdir -p "$(dirname "$OUT")"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
	--mode=a+rX --format=gnu -C "$W/layout" -cf "$W/image.tar" .
mv "$W/image.tar" "$OUT"
echo "image.sh: $OUT ($TAG, $ARCH, created $CREATED): $(sha256sum "$OUT" | cut -d' ' -f1)"
