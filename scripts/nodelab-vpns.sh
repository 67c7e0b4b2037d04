# shellcheck shell=bash
# The simulated node's pods of the VPN families besides OpenVPN, sourced by
# scripts/nodelab.sh (outside the node and, for the pods, inside it):
#
#   wireguard   wg-quick (wireguard-go) client of the WireGuard server on
#               198.19.0.2:51820, AllowedIPs 10.0.0.0/8, 172.16.0.0/12,
#               192.0.2.0/24: "10.0.0.0/8 dev wg0", tunnel 198.19.11.0/24
#   strongswan  charon (kernel-libipsec) client of the server on 198.19.0.2,
#               a full tunnel: "default dev ipsec0" in table 220, looked up
#               before main; tunnel (virtual IPs) 198.19.13.0/24
#
# The servers run in the VPN servers' namespace, each daemon (servers and
# pods alike) in a mount namespace with a /run and /etc of its own
# (scripts/lab-private.sh).

VPNS_KINDS="wireguard strongswan"
PRIVATE=$ROOT/scripts/lab-private.sh

# vpns_charon_conf FILE LOG
vpns_charon_conf() {
	cat >"$1" <<EOT
charon {
	load = random nonce aes sha1 sha2 hmac kdf gmp kernel-libipsec kernel-netlink socket-default vici updown
	routing_table = 220
	routing_table_prio = 220
	filelog {
		lab {
			path = $2
			default = 1
			flush_line = yes
		}
	}
}
swanctl {
	load = random nonce aes sha1 sha2 hmac kdf gmp pem pkcs1 x509 pubkey
}
EOT
}

# The shell that runs a charon: its config in place, charon started, the
# connections loaded ("loaded" on stdout), then it waits; TERM stops charon.
# Arguments: the strongswan.conf and swanctl.conf to use.
VPNS_CHARON='
	cp "$1" /etc/strongswan.conf
	rm -rf /etc/swanctl
	mkdir -p /etc/swanctl
	cp "$2" /etc/swanctl/swanctl.conf
	/usr/lib/ipsec/charon &
	c=$!
	trap "kill \$c" TERM INT
	for i in $(seq 250); do [ -S /run/charon.vici ] && break; sleep 0.02; done
	swanctl --load-all --noprompt >"$2.log" 2>&1 && echo loaded
	wait $c'

# vpns_servers_start (outside the node): the WireGuard and strongSwan servers,
# if their programs are installed; a pod of a kind whose server is missing
# fails with the reason.
vpns_servers_start() {
	local i
	mkdir -p "$STATE/wg" "$STATE/wg-server.mnt" "$STATE/sw-server.mnt"
	if command -v wireguard-go >/dev/null && command -v wg >/dev/null; then
		(
			umask 077
			wg genkey >"$STATE/wg/server.key"
		)
		wg pubkey <"$STATE/wg/server.key" >"$STATE/wg/server.pub"
		echo 2 >"$STATE/wg/next"
		ip netns exec "$NS_VPN" unshare -m --propagation private "$PRIVATE" "$STATE/wg-server.mnt" \
			bash -c '
			WG_PROCESS_FOREGROUND=1 wireguard-go wg0 &
			echo $! >"$2/wg/server.pid"
			for i in $(seq 250); do [ -S /run/wireguard/wg0.sock ] && break; sleep 0.02; done
			wg set wg0 listen-port 51820 private-key "$1" &&
				ip addr add 198.19.11.1/24 dev wg0 && ip link set wg0 up && echo ready
			wait' _ "$STATE/wg/server.key" "$STATE" </dev/null >"$STATE/wg-server.log" 2>&1 &
		remember "$STATE/wg-server.pid" $!
	fi
	if [ -x /usr/lib/ipsec/charon ] && command -v swanctl >/dev/null; then
		vpns_charon_conf "$STATE/sw-server.strongswan.conf" "$STATE/sw-server.charon.log"
		cat >"$STATE/sw-server.swanctl.conf" <<EOT
connections {
	lab {
		version = 2
		local_addrs = 198.19.0.2
		pools = lab
		encap = yes
		unique = never
		proposals = aes128-sha256-modp2048
		local {
			auth = psk
			id = server
		}
		remote {
			auth = psk
		}
		children {
			lab {
				local_ts = 0.0.0.0/0
				esp_proposals = aes128-sha256
			}
		}
	}
}
pools {
	lab {
		addrs = 198.19.13.0/24
	}
}
secrets {
	ike-lab {
		secret = "nodelab-$ID"
	}
}
EOT
		ip netns exec "$NS_VPN" unshare -m --propagation private "$PRIVATE" "$STATE/sw-server.mnt" \
			bash -c "$VPNS_CHARON" _ "$STATE/sw-server.strongswan.conf" "$STATE/sw-server.swanctl.conf" \
			</dev/null >"$STATE/sw-server.log" 2>&1 &
		remember "$STATE/sw-server.pid" $!
	fi
	for ((i = 0; i < 250; i++)); do
		{ [ ! -e "$STATE/wg-server.pid" ] || grep -q '^ready' "$STATE/wg-server.log"; } &&
			{ [ ! -e "$STATE/sw-server.pid" ] || grep -q '^loaded' "$STATE/sw-server.log"; } && return 0
		sleep 0.02
	done
	die "the WireGuard or strongSwan server did not start: $(tail -1 "$STATE/wg-server.log") $(tail -1 "$STATE/sw-server.swanctl.conf.log" 2>/dev/null)"
}

# vpns_provision POD KIND (outside the node, before the pod starts): a
# WireGuard pod's keys, tunnel address and config, and its peer on the server.
vpns_provision() {
	local pod=$1 n key pub
	[ "$2" = wireguard ] || return 0
	[ -s "$STATE/wg/server.pid" ] || die "pod $pod: wireguard-go or wg is missing (scripts/deps.sh installs them)"
	read -r n <"$STATE/wg/next"
	[ "$n" -le 254 ] || die "pod $pod: the WireGuard tunnel has no address left"
	echo $((n + 1)) >"$STATE/wg/next"
	key=$(wg genkey)
	pub=$(echo "$key" | wg pubkey)
	(
		umask 077
		mkdir -p "$STATE/wg/$pod"
		cat >"$STATE/wg/$pod/wg0.conf" <<EOT
[Interface]
PrivateKey = $key
Address = 198.19.11.$n/24

[Peer]
PublicKey = $(cat "$STATE/wg/server.pub")
Endpoint = 198.19.0.2:51820
AllowedIPs = 10.0.0.0/8, 172.16.0.0/12, 192.0.2.0/24
EOT
	)
	nsenter -t "$(cat "$STATE/wg/server.pid")" -m -n wg set wg0 peer "$pub" allowed-ips "198.19.11.$n/32" ||
		die "pod $pod: could not add its peer to the WireGuard server"
}

# vpns_pod_start POD KIND NODEPID (inside the node): the pod's VPN client.
vpns_pod_start() {
	local pod=$1 kind=$2 p=$3 PD=$STATE/pods/$1
	mkdir -p "$PD/mnt"
	case $kind in
	wireguard)
		[ -s "$STATE/wg/$pod/wg0.conf" ] || die "pod $pod: no WireGuard config (not provisioned)"
		# wireguard-go stays, keeping its own /run (the socket): its
		# output, like wg-quick's, goes to the log, never to a pipe
		nsenter -t "$p" -n -- unshare -m --propagation private "$PRIVATE" "$PD/mnt" \
			env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go wg-quick up "$STATE/wg/$pod/wg0.conf" \
			</dev/null >"$PD/wg-quick.log" 2>&1 ||
			die "pod $pod: wg-quick up failed: $(tail -1 "$PD/wg-quick.log")"
		;;
	strongswan)
		[ -x /usr/lib/ipsec/charon ] || die "pod $pod: strongSwan's charon is missing (scripts/deps.sh installs it)"
		vpns_charon_conf "$PD/strongswan.conf" "$PD/charon.log"
		cat >"$PD/swanctl.conf" <<EOT
connections {
	lab {
		version = 2
		remote_addrs = 198.19.0.2
		vips = 0.0.0.0
		encap = yes
		proposals = aes128-sha256-modp2048
		local {
			auth = psk
			id = $pod
		}
		remote {
			auth = psk
			id = server
		}
		children {
			lab {
				remote_ts = 0.0.0.0/0
				esp_proposals = aes128-sha256
				start_action = start
			}
		}
	}
}
secrets {
	ike-lab {
		secret = "nodelab-$ID"
	}
}
EOT
		nsenter -t "$p" -n -- unshare -m --propagation private "$PRIVATE" "$PD/mnt" \
			bash -c "$VPNS_CHARON" _ "$PD/strongswan.conf" "$PD/swanctl.conf" \
			</dev/null >"$PD/charon.out" 2>&1 &
		;;
	esac
}

# vpns_pod_ready POD KIND HOSTPID (outside the node): its tunnel routes are in.
vpns_pod_ready() {
	case $2 in
	wireguard) nsenter -t "$3" -n ip route show 10.0.0.0/8 2>/dev/null | grep -q 'dev wg0' ;;
	strongswan) nsenter -t "$3" -n ip route show table 220 2>/dev/null | grep -q '^default dev ipsec0' ;;
	*) return 0 ;;
	esac
}
