#!/usr/bin/env bash
# Install tunleak's build and test dependencies from Debian packages.
# Quick when everything is already there: apt runs only for what is missing.
set -euo pipefail

PKGS=(
	# BPF toolchain
	clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config make gcc
	# netlink (routes, link events, tc filter dumps); libnl-3 has a static archive
	libnl-3-dev
	# reading JSON (--cidrs-from, the runtimes' config.json); a static archive too
	libjson-c-dev
	# tests; clang-format checks the C sources' style (make test, kind style)
	libcmocka-dev jq tmux util-linux clang-format
	# lab, e2e tests and benchmarks
	openvpn openssl iproute2 iputils-ping iperf3 tcpdump procps psmisc ethtool
	# the labs of the other VPN families (scripts/lab-*.sh): WireGuard in user
	# space, OpenConnect against ocserv, strongSwan's charon with kernel-libipsec
	# (libcharon-extra-plugins); their daemons are never started as services
	wireguard-go wireguard-tools iptables ocserv openconnect vpnc-scripts
	strongswan-charon strongswan-swanctl libcharon-extra-plugins
	# the simulated node (scripts/nodelab.sh): the real CNI bridge and host-local plugins
	containernetworking-plugins
	# libFuzzer's runtime (make fuzz), the /metrics test's clients
	libclang-rt-14-dev curl python3
	# validating deploy/ (tests/deploy/validate.py); Prometheus 2.42 and promtool
	# (the alerts' unit tests, the real scrape of tests/e2e/test_prometheus.sh)
	python3-kubernetes python3-yaml prometheus
	# make image (scripts/image.sh) and its test
	umoci skopeo file
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root: sudo scripts/deps.sh" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The tests run their own Prometheus on a namespace's loopback: the package's
# service (listening on every address of the machine) is not wanted. Stop it
# where systemd started it, as it was installed just now.
if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
	systemctl disable --now prometheus.service >/dev/null 2>&1 || true
fi
