# shellcheck shell=bash
# OpenVPN pieces shared by the labs (scripts/lab.sh, scripts/nodelab.sh):
# certificates made for one lab only, and the server and client configs.
# Sourced, not run.

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
