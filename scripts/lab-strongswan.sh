#!/usr/bin/env bash
# The strongSwan lab: a pod whose charon (IKEv2, pre-shared key, a virtual
# IP from the server's pool) uses the kernel-libipsec plugin: ESP in UDP,
# handled in user space, through the TUN device ipsec0 (no xfrm or ESP
# kernel modules needed). Topology and commands: scripts/lab-common.sh.
#
# Mode full (the only one): the client asks for 0.0.0.0/0 (a road warrior's
# full tunnel); charon installs "default dev ipsec0 src 198.19.13.1" in table
# 220, which rule 220 looks up before main, so every destination but the
# server (a "throw" route) goes into the tunnel: pods on other nodes, pods on
# the same node, the pod's gateway. (A split tunnel needs, with libipsec, an
# address of the server in every remote network: the lab's server has none
# in 10.0.0.0/8.)
# With "fix", the CHILD_SA's updown is scripts/tunleak-route-fix CIDRS.
# Both charons run in mount namespaces with a /run (charon.pid, charon.vici)
# and /etc (strongswan.conf, swanctl/) of their own.
FAMILY=strongswan
PREFIX=tsw
MODES="full"
TUN_DEV=ipsec0
TUN_NET=198.19.13.0/24
# shellcheck source=scripts/lab-common.sh
. "$(dirname "$0")/lab-common.sh"

family_env() {
	cat <<EOT
TUN_IP=198.19.13.1
LAB_TABLE=220
VPN_ROUTE="default dev ipsec0 table 220"
HOOK_LINE="updown = /usr/local/share/tunleak/tunleak-route-fix $CLUSTER_CIDRS"
EOT
}

# strongswan_conf FILE WHO INSTALL_ROUTES
strongswan_conf() {
	cat >"$1" <<EOT
charon {
	load = random nonce aes sha1 sha2 hmac kdf gmp kernel-libipsec kernel-netlink socket-default vici updown
	install_routes = $3
	routing_table = 220
	routing_table_prio = 220
	filelog {
		lab {
			path = $STATE/charon-$2.log
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

# run_charon NAME NS: charon with STATE/NAME.strongswan.conf and
# STATE/NAME.swanctl.conf as /etc's, its connections loaded.
run_charon() {
	private "$1" "$2" bash -c '
		cp "$1.strongswan.conf" /etc/strongswan.conf
		rm -rf /etc/swanctl
		mkdir -p /etc/swanctl
		cp "$1.swanctl.conf" /etc/swanctl/swanctl.conf
		/usr/lib/ipsec/charon &
		c=$!
		trap "kill \$c" TERM INT
		for i in $(seq 250); do [ -S /run/charon.vici ] && break; sleep 0.02; done
		swanctl --load-all --noprompt >"$1.swanctl.log" 2>&1 && echo loaded
		wait $c' _ "$STATE/$1"
}

server_start() {
	local i
	strongswan_conf "$STATE/server.strongswan.conf" server yes
	cat >"$STATE/server.swanctl.conf" <<EOT
connections {
	lab {
		version = 2
		local_addrs = 198.19.0.2
		pools = lab
		encap = yes
		proposals = aes128-sha256-modp2048
		local {
			auth = psk
			id = server
		}
		remote {
			auth = psk
			id = client
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
		id-1 = server
		id-2 = client
		secret = "tunleak-lab-$ID"
	}
}
EOT
	run_charon server "$NS_VPNSRV"
	for ((i = 0; i < 250; i++)); do
		grep -q '^loaded' "$STATE/server.log" 2>/dev/null && return 0
		kill -0 "$(cat "$STATE/server.pid")" 2>/dev/null || break
		sleep 0.02
	done
	echo "lab-strongswan.sh: the server's charon did not start: $(tail -1 "$STATE/server.swanctl.log" 2>/dev/null)" >&2
	return 1
}

client_start() { # [fix]
	local updown=""
	[ "${1:-}" != fix ] || updown="updown = $(hook_cmd)"
	strongswan_conf "$STATE/client.strongswan.conf" client yes
	cat >"$STATE/client.swanctl.conf" <<EOT
connections {
	lab {
		version = 2
		remote_addrs = 198.19.0.2
		vips = 0.0.0.0
		encap = yes
		proposals = aes128-sha256-modp2048
		local {
			auth = psk
			id = client
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
				$updown
			}
		}
	}
}
secrets {
	ike-lab {
		id-1 = server
		id-2 = client
		secret = "tunleak-lab-$ID"
	}
}
EOT
	run_charon client "$NS_VPNPOD"
}

client_ready() {
	kill -0 "$(cat "$STATE/client.pid")" 2>/dev/null || return 1
	ip -n "$NS_VPNPOD" route show table 220 2>/dev/null | grep -q '^default dev ipsec0'
}

client_stop() {
	local i
	[ -f "$STATE/client.pid" ] || return 0
	# charon closes the SA, removes its routes and ipsec0
	stop_pid "$(cat "$STATE/client.pid")"
	rm -f "$STATE/client.pid"
	for ((i = 0; i < 500; i++)); do
		ip -n "$NS_VPNPOD" link show ipsec0 >/dev/null 2>&1 || return 0
		sleep 0.02
	done
	return 1
}

lab_main "$@"
