#!/bin/sh
# lab-private.sh DIR CMD...: run CMD with a /run and an /etc of its own, so
# that a VPN daemon's fixed paths (charon's /run/charon.pid, wireguard-go's
# /run/wireguard/, vpnc-script's /var/run/vpnc/ and /etc/vpnc/, ...) are the
# lab's, never the machine's. Call it in a mount namespace of its own:
#
#   ip netns exec NS unshare -m --propagation private scripts/lab-private.sh DIR CMD...
#
# DIR (an empty directory) gets a tmpfs, seen only in that namespace; /etc
# becomes an overlay whose writes land in it (the machine's /etc stays
# readable and unchanged), and /run a tmpfs. Everything CMD starts shares
# that view; it ends with the last process in the namespace.
set -eu
[ $# -ge 2 ] || { echo "lab-private.sh: usage: DIR CMD..." >&2; exit 2; }
d=$1
shift
if [ "$(stat -L -c %i /proc/self/ns/mnt)" = "$(stat -L -c %i /proc/1/ns/mnt 2>/dev/null)" ]; then
	echo "lab-private.sh: not in a mount namespace of its own (run it under unshare -m)" >&2
	exit 2
fi
mount -t tmpfs -o mode=700,size=16m tunleak-lab "$d"
mkdir "$d/etc" "$d/work"
mount -t overlay -o "lowerdir=/etc,upperdir=$d/etc,workdir=$d/work" tunleak-lab-etc /etc
mount -t tmpfs -o mode=755,size=16m tunleak-lab-run /run
exec "$@"
