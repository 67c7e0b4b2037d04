# shellcheck shell=bash
# VPN pieces shared by the labs (scripts/lab.sh, lab-wireguard.sh,
# lab-openconnect.sh, lab-strongswan.sh, nodelab.sh and nodelab-vpns.sh):
# certificates made for one lab only; OpenVPN's server and client configs;
# the WireGuard server, a WireGuard client's config, strongSwan's configs and
# the shell that runs a charon. Sourced, not run.

# Every daemon of the other families runs under it: a mount namespace with a
# /run and /etc of its own (usage in the file).
# shellcheck disable=SC2034 # for the scripts that source this one
VPN_PRIVATE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lab-private.sh

# vpn_pki DIR NAME: in DIR a CA (CN tunleak-lab-ca-NAME) and one server and
# one client certificate signed by it, valid two days.
vpn_pki() {
	local d=$1 name=$2 who eku
	mkdir -p "$d"
	(
		cd "$d" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout ca.key -out ca.crt -days 2 -subj "/CN=tunleak-lab-ca-$name" 2>/dev/null || exit 1
		for who in server client; do
			eku=$([ $who = server ] && echo serverAuth || echo clientAuth)
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-keyout $who.key -out $who.csr -subj "/CN=$who" 2>/dev/null || exit 1
			printf 'extendedKeyUsage=%s\nkeyUsage=digitalSignature,keyAgreement\n' "$eku" >$who.ext
			openssl x509 -req -in $who.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
				-out $who.crt -days 2 -extfile $who.ext 2>/dev/null || exit 1
		done
	)
}

# vpn_server_conf FILE PKI DEV LOCAL NETWORK [LINE...]: a UDP server on
# LOCAL:1194 with tunnel device DEV, handing out addresses of NETWORK (a /24,
# topology subnet); each LINE (a push, server-ipv6, ...) is added as it is.
vpn_server_conf() {
	local f=$1 pki=$2 dev=$3 local=$4 net=$5
	shift 5
	{
		cat <<EOT
dev $dev
dev-type tun
proto udp
local $local
port 1194
topology subnet
server $net 255.255.255.0
ca $pki/ca.crt
cert $pki/server.crt
key $pki/server.key
dh none
keepalive 2 10
disable-dco
verb 3
EOT
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$f"
}

# vpn_client_conf FILE PKI REMOTE [LINE...]: a client of REMOTE:1194 on tun0,
# retrying every second; each LINE is added as it is.
vpn_client_conf() {
	local f=$1 pki=$2 remote=$3
	shift 3
	{
		cat <<EOT
client
dev tun0
dev-type tun
proto udp
remote $remote 1194
nobind
connect-retry 1 1
ca $pki/ca.crt
cert $pki/client.crt
key $pki/client.key
remote-cert-tls server
disable-dco
verb 3
EOT
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$f"
}

# --- WireGuard (wireguard-go, the userspace implementation: no kernel module) ---

# The shell (bash -c "$VPN_WG_SERVER" _ KEY PIDFILE, under VPN_PRIVATE) of a
# WireGuard server: wireguard-go in the foreground, its PID in PIDFILE (for
# vpn_wg_peer), wg0 198.19.11.1/24 on UDP 51820, "ready" on stdout; TERM
# stops wireguard-go.
# shellcheck disable=SC2016,SC2034 # expanded by that shell
VPN_WG_SERVER='
	WG_PROCESS_FOREGROUND=1 wireguard-go wg0 &
	wg=$!
	echo $wg >"$2"
	trap "kill \$wg" TERM INT
	for i in $(seq 250); do
		[ -S /run/wireguard/wg0.sock ] && break
		kill -0 $wg 2>/dev/null || break
		sleep 0.02
	done
	wg set wg0 listen-port 51820 private-key "$1" &&
		ip addr add 198.19.11.1/24 dev wg0 && ip link set wg0 up && echo ready
	wait $wg'

# vpn_wg_peer PIDFILE PUBKEY ADDR: a client's peer on the server whose
# wireguard-go PIDFILE names (its socket is in that process's /run).
vpn_wg_peer() {
	nsenter -t "$(cat "$1")" -m -n wg set wg0 peer "$2" allowed-ips "$3/32"
}

# vpn_wg_conf FILE KEY ADDRESS SERVER-PUB ALLOWED-IPS [POSTUP]: a wg-quick
# client config (mode 600) for the server on 198.19.0.2:51820.
vpn_wg_conf() {
	(
		umask 077
		{
			echo "[Interface]"
			echo "PrivateKey = $2"
			echo "Address = $3"
			[ -z "${6:-}" ] || echo "PostUp = $6"
			echo
			echo "[Peer]"
			echo "PublicKey = $(cat "$4")"
			echo "Endpoint = 198.19.0.2:51820"
			echo "AllowedIPs = $5"
		} >"$1"
	)
}

# --- strongSwan (charon with kernel-libipsec: ESP in UDP through the TUN ipsec0) ---

# vpn_charon_conf FILE LOG: strongswan.conf; routes in table 220, looked up
# by rule 220 (before main); charon's log to LOG.
vpn_charon_conf() {
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

# vpn_swanctl_server FILE SECRET: IKEv2 on 198.19.0.2, a pre-shared key for
# any client identity (unique = never: many clients), virtual IPs from
# 198.19.13.0/24, the whole IPv4 space behind it.
vpn_swanctl_server() {
	cat >"$1" <<EOT
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
EOT
	vpn_swanctl_secret "$2" >>"$1"
}

# vpn_swanctl_client FILE ID SECRET [UPDOWN]: a road warrior of that server
# asking for a virtual IP and 0.0.0.0/0 (a full tunnel), started at once;
# UPDOWN: the CHILD_SA's updown command.
vpn_swanctl_client() {
	cat >"$1" <<EOT
connections {
	lab {
		version = 2
		remote_addrs = 198.19.0.2
		vips = 0.0.0.0
		encap = yes
		proposals = aes128-sha256-modp2048
		local {
			auth = psk
			id = $2
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
				${4:+updown = $4}
			}
		}
	}
}
EOT
	vpn_swanctl_secret "$3" >>"$1"
}

vpn_swanctl_secret() { # SECRET
	printf 'secrets {\n\tike-lab {\n\t\tsecret = "%s"\n\t}\n}\n' "$1"
}

# The shell (bash -c "$VPN_CHARON" _ STRONGSWAN.CONF SWANCTL.CONF, under
# VPN_PRIVATE) that runs a charon: its configs put in /etc, charon started,
# the connections loaded ("loaded" on stdout; swanctl's output in
# SWANCTL.CONF.log), then it waits; TERM stops charon.
# shellcheck disable=SC2016,SC2034 # expanded by that shell
VPN_CHARON='
	cp "$1" /etc/strongswan.conf
	rm -rf /etc/swanctl
	mkdir -p /etc/swanctl
	cp "$2" /etc/swanctl/swanctl.conf
	/usr/lib/ipsec/charon &
	c=$!
	trap "kill \$c" TERM INT
	for i in $(seq 250); do
		[ -S /run/charon.vici ] && break
		kill -0 $c 2>/dev/null || break
		sleep 0.02
	done
	swanctl --load-all --noprompt >"$2.log" 2>&1 && echo loaded
	wait $c'
