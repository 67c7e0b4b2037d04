#!/bin/sh
# lab-private.sh DIR CMD...: run CMD with a /run and an /etc of its own, so
# that a VPN daemon's fixed paths (charon's /run/charon.pid, wireguard-go's
# /run/wireguard/, vpnc-script's /var/run/vpnc/ and /etc/vpnc/, ...) are the
# lab's, never the machine's. Run it in the daemon's network namespace:
#
#   ip netns exec NS scripts/lab-private.sh DIR CMD...
#   nsenter -t PID -n -- scripts/lab-private.sh DIR CMD...
#
# It enters a mount namespace of its own (unshare -m, private propagation:
# nothing it mounts is seen outside); DIR (made if missing) gets a tmpfs,
# /etc becomes an overlay whose writes land in it (the machine's /etc stays
# readable and unchanged), and /run a tmpfs. Everything CMD starts shares
# that view; it ends with the last process in the namespace. CMD keeps the
# PID this script was started with (unshare and the script exec).
set -eu
[ $# -ge 2 ] || { echo "lab-private.sh: usage: DIR CMD..." >&2; exit 2; }
if [ -z "${TUNLEAK_LAB_PRIVATE:-}" ]; then
	export TUNLEAK_LAB_PRIVATE=1
	exec unshare -m --propagation private "$0" "$@"
fi
unset TUNLEAK_LAB_PRIVATE
d=$1
shift
mkdir -p "$d"
mount -t tmpfs -o mode=700,size=16m tunleak-lab "$d"
mkdir "$d/etc" "$d/work"
mount -t overlay -o "lowerdir=/etc,upperdir=$d/etc,workdir=$d/work" tunleak-lab-etc /etc
mount -t tmpfs -o mode=755,size=16m tunleak-lab-run /run
exec "$@"
