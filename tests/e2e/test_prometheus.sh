#!/usr/bin/env bash
# A real Prometheus (Debian's) scrapes tunleak --all on the simulated node
# (scripts/nodelab.sh) as OpenShift's user-workload monitoring does: with
# honor_labels: false and the target labels pod, namespace, node (tunleak's
# own pod), evaluating deploy/'s alerts. A second Prometheus scrapes it with
# honor_labels: true. Both run on the node's loopback (its own network
# namespace), each with its own data directory, stopped by PID on every path.
# Asserts through Prometheus's HTTP API: TunleakLeak fires once per leaking
# pod, naming the traced pod (not tunleak's), with the value of tunleak's
# counters file; no other alert fires; the series are the same both ways;
# every panel of the dashboard answers. Also `promtool check metrics` on the
# /metrics body.
. "$(dirname "$0")/lib.sh"
require_root
PY=/usr/bin/python3
PROBE=$HELPERS/netprobe
for c in prometheus promtool; do
	if ! command -v "$c" >/dev/null; then
		echo "skip all: $c missing (Debian's prometheus package: scripts/deps.sh)"
		exit 0
	fi
done

# vpn-a: CRI-O's metadata (default/vpn-a); vpn-b: its name from its hostname
# only; web: no tunnel (not traced). Each VPN pod has tun0 with the broad
# routes (no OpenVPN: the test is about what Prometheus makes of the counts).
nodelab_start vpn-a:tuntap:crio vpn-b:tuntap web:plain || exit 0
NL=$ROOT/scripts/nodelab.sh
in_pod() { local p=$1; shift; "$NL" pod "$NL_ID" "$p" -- "$@"; }
# the node's network namespace only: no fork, so $! is the process itself
in_node_net() { nsenter -t "$NL_INIT_PID" -n -- "$@"; }
J=$TMP/c.json
TUNLEAK_POD=tunleak-x7k2p

# free_port: a random port nobody listens on in the node's namespace
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		in_node_net ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
TL_PORT=$(free_port)

# tunleak on the node, serving /metrics on the node's loopback
: >"$TMP/n.err"
"$NL" node "$NL_ID" -- "$TUNLEAK" --all --cluster-cidr "$NL_CLUSTER_CIDR" \
	--service-cidr "$NL_SERVICE_CIDR" --remote-cidr "$NL_REMOTE_CIDR" \
	--metrics-addr "127.0.0.1:$TL_PORT" --export "$J" --interval 0.5 >/dev/null 2>"$TMP/n.err" &
TL_PID=$!
track "$TL_PID"
if ! wait_for "$TMP/n.err" "serving GET /metrics" 10; then
	echo "not ok tunleak-start: $(tr '\n' ' ' <"$TMP/n.err")"
	exit 0
fi
TL_CHILD=$(pgrep -P "$TL_PID" | head -1)
[ -n "$TL_CHILD" ] && track "$TL_CHILD"

# The rules of deploy/, as Prometheus reads them (the PrometheusRule's spec),
# with every `for:` dropped so that the test takes seconds: an alert that
# waits would otherwise be pending, and one that must not fire is seen not
# to at once.
"$PY" -c 'import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))["spec"]
for g in spec["groups"]:
    g["interval"] = "1s"
    for r in g["rules"]:
        r.pop("for", None)
yaml.safe_dump(spec, open(sys.argv[2], "w"), sort_keys=False)' \
	"$ROOT/deploy/base/prometheusrule.yaml" "$TMP/rules.yaml" || { echo "not ok rules: could not extract"; exit 0; }

# start_prometheus NAME HONOR: one Prometheus, its port in PORT_NAME
start_prometheus() {
	local name=$1 honor=$2 port
	port=$(free_port)
	mkdir -p "$TMP/$name/data"
	cat >"$TMP/$name/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $TMP/rules.yaml
scrape_configs:
  - job_name: tunleak
    honor_labels: $honor
    static_configs:
      - targets: ["127.0.0.1:$TL_PORT"]
        labels:
          pod: $TUNLEAK_POD
          namespace: tunleak
          node: $NL_NODE_NAME
EOF
	in_node_net prometheus --config.file="$TMP/$name/prometheus.yml" \
		--storage.tsdb.path="$TMP/$name/data" --web.listen-address="127.0.0.1:$port" \
		>"$TMP/$name/log" 2>&1 &
	track "$!"
	printf -v "PORT_$name" '%s' "$port"
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(in_node_net curl -s -m 1 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/-/ready")" = 200 ] && return 0
		sleep 0.1
	done
	echo "not ok prometheus-$name-start: $(tail -3 "$TMP/$name/log" | tr '\n' ' ')"
	return 1
}
start_prometheus false false || exit 0
start_prometheus true true || exit 0

# api NAME PATH [ARGS...]: GET from that Prometheus's HTTP API
api() {
	local port_var=PORT_$1
	in_node_net curl -s -m 5 -G "http://127.0.0.1:${!port_var}$2" "${@:3}"
}
# value NAME QUERY: the one value of an instant query ("none" if none)
value() {
	api "$1" /api/v1/query --data-urlencode "query=$2" |
		jq -r 'if .status == "success" and (.data.result | length) == 1 then .data.result[0].value[1] else "none" end'
}
# until QUERY has VALUE in both (or 20 s)
wait_value() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(value false "$1")" = "$2" ] && [ "$(value true "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	return 1
}

# Both scraped the series at 0 before any leak: an alert must come from
# Prometheus seeing the counter grow
wait_value 'tunleak_leak_packets_total{k8s_pod="vpn-a"}' 0 ||
	ERRORS+=("vpn-a's series at 0 not scraped: $(value false 'tunleak_leak_packets_total{k8s_pod="vpn-a"}')")
wait_value 'tunleak_leak_packets_total{k8s_pod="vpn-b"}' 0 ||
	ERRORS+=("vpn-b's series at 0 not scraped")
case_end scraped

# leaks: 4 datagrams from vpn-a, 2 from vpn-b, to the other node's pod
in_pod vpn-a "$PROBE" udp "$NL_OTHER_POD_IP" 9999 4 100
in_pod vpn-b "$PROBE" udp "$NL_OTHER_POD_IP" 9999 2 100
in_pod web "$PROBE" udp "$NL_OTHER_POD_IP" 9999 3 100
for i in $(seq 50); do
	[ "$(jqf "$J" '[.namespaces[] | select(.pod == "vpn-a" or .pod == "vpn-b") | .leaks.packets] | add')" = 6 ] && break
	sleep 0.1
done
A=$(jqf "$J" '.namespaces[] | select(.pod == "vpn-a") | .leaks.packets')
B=$(jqf "$J" '.namespaces[] | select(.pod == "vpn-b") | .leaks.packets')
expect_eq "counters file: vpn-a, vpn-b leak packets" "4 2" "$A $B"

# alerts NAME: the firing alerts, one line each, sorted:
#   ALERT k8s_pod k8s_namespace netns node pod(label) exported_pod value | summary
alerts() {
	api "$1" /api/v1/alerts | jq -r '.data.alerts[] | select(.state == "firing") |
		"\(.labels.alertname) \(.labels.k8s_pod // "-") \(.labels.k8s_namespace // "-") \(.labels.netns // "-") \(.labels.node // "-") \(.labels.pod // "-") \(.labels.exported_pod // "-") \(.value | tonumber) | \(.annotations.summary)"' | sort
}
for honor in false true; do
	for i in $(seq 100); do
		[ "$(alerts "$honor" | grep -c '^TunleakLeak ')" -ge 2 ] &&
			[ "$(alerts "$honor" | grep -c '^TunleakRouteLeak ')" -ge 4 ] && break
		sleep 0.2
	done
	got=$(alerts "$honor")
	printf '# honor_labels %s, firing:\n%s\n' "$honor" "$(sed 's/^/#   /' <<<"$got")"
	# the packets' alert, and the route watch's (both pods' VPNs push
	# 10.0.0.0/8 and 172.16.0.0/12 over the pod and service CIDRs)
	expect_eq "honor_labels $honor: the alerts firing" \
		"TunleakLeak vpn-a default vpn-a $NL_NODE_NAME - - $A | Pod default/vpn-a on node $NL_NODE_NAME sends cluster traffic into a tunnel.
TunleakLeak vpn-b - vpn-b $NL_NODE_NAME - - $B | Pod vpn-b on node $NL_NODE_NAME sends cluster traffic into a tunnel.
TunleakRouteLeak vpn-a default vpn-a $NL_NODE_NAME - - 1 | Pod default/vpn-a on node $NL_NODE_NAME routes 10.128.0.0/14 the wrong way.
TunleakRouteLeak vpn-a default vpn-a $NL_NODE_NAME - - 1 | Pod default/vpn-a on node $NL_NODE_NAME routes 172.30.0.0/16 the wrong way.
TunleakRouteLeak vpn-b - vpn-b $NL_NODE_NAME - - 1 | Pod vpn-b on node $NL_NODE_NAME routes 10.128.0.0/14 the wrong way.
TunleakRouteLeak vpn-b - vpn-b $NL_NODE_NAME - - 1 | Pod vpn-b on node $NL_NODE_NAME routes 172.30.0.0/16 the wrong way." "$got"
	desc=$(api "$honor" /api/v1/alerts | jq -r '.data.alerts[] | select(.labels.k8s_pod == "vpn-a") | .annotations.description')
	expect_match "honor_labels $honor: the check it suggests" "/tunleak check --pod default/vpn-a --cidrs-from" "$desc"
	expect_match "honor_labels $honor: the value in the text" "has sent $A packets" "$desc"
	case_end "alert-names-the-traced-pod-honor-labels-$honor"
done

# The series themselves: the target's pod and namespace are tunleak's, the
# traced pod is k8s_pod; no exported_ label; the same label sets both ways.
series() {
	api "$1" /api/v1/series --data-urlencode 'match[]={__name__=~"tunleak_.*"}' |
		jq -r '.data[] | to_entries | sort_by(.key) | map("\(.key)=\(.value)") | join(",")' | sort
}
series false >"$TMP/s.false"
series true >"$TMP/s.true"
expect_true "series found" test -s "$TMP/s.false"
expect_eq "series with exported_ labels" 0 "$(grep -c 'exported_' "$TMP/s.false")"
expect_eq "vpn-a's leak series, honor_labels false" \
	"__name__=tunleak_leak_packets_total,instance=127.0.0.1:$TL_PORT,job=tunleak,k8s_namespace=default,k8s_pod=vpn-a,namespace=tunleak,netns=vpn-a,node=$NL_NODE_NAME,pod=$TUNLEAK_POD" \
	"$(grep '^__name__=tunleak_leak_packets_total,.*k8s_pod=vpn-a,' "$TMP/s.false")"
expect_true "the same series with honor_labels true and false ($(diff "$TMP/s.false" "$TMP/s.true" | head -3 | tr '\n' ' '))" \
	cmp -s "$TMP/s.false" "$TMP/s.true"
expect_eq "vpn-a's leak packets in Prometheus" "$A" "$(value false 'tunleak_leak_packets_total{k8s_pod="vpn-a"}')"
expect_eq "web is not traced" none "$(value false 'tunleak_namespace_traced{k8s_pod="web"}')"
case_end series-as-scraped

# promtool's lint of the /metrics body: nothing to say
in_node_net curl -s -m 5 -o "$TMP/metrics.txt" "http://127.0.0.1:$TL_PORT/metrics"
lint=$(promtool check metrics <"$TMP/metrics.txt" 2>&1)
expect_eq "promtool check metrics exit" 0 "$?"
expect_eq "promtool check metrics says" "" "$lint"
expect_true "a body to lint" grep -q '^tunleak_leak_packets_total{' "$TMP/metrics.txt"
case_end promtool-check-metrics

# Every panel of the dashboard, its query on the honor_labels false
# Prometheus: no error, and a result where tunleak serves the series (one it
# does not serve yet is reported as skipped).
served=$(grep -o '^tunleak_[a-z_]*' "$TMP/metrics.txt" | sort -u)
jq -r '.panels[] | .title as $t | .targets[] | "\($t)\t\(.expr)"' "$ROOT/deploy/dashboards/tunleak.json" >"$TMP/panels"
while IFS=$'\t' read -r title expr; do
	slug=$(tr -c 'a-zA-Z0-9\n' - <<<"$title" | tr 'A-Z' 'a-z' | tr -s -)
	slug=${slug%-}
	waiting=""
	for m in $(grep -o 'tunleak_[a-z_]*' <<<"$expr" | sort -u); do
		grep -qx "$m" <<<"$served" || waiting+=" $m"
	done
	res=$(api false /api/v1/query --data-urlencode "query=$expr")
	status=$(jq -r .status <<<"$res" 2>/dev/null)
	n=$(jq -r '.data.result | length' <<<"$res" 2>/dev/null)
	if [ "$status" != success ]; then
		echo "not ok dashboard/$slug: $(jq -r .error <<<"$res" 2>/dev/null || echo "$res")"
	elif [ -n "$waiting" ]; then
		if [ "$n" = 0 ]; then
			echo "skip dashboard/$slug: tunleak does not serve${waiting} yet (the query runs, empty)"
		else
			echo "not ok dashboard/$slug: a result for${waiting}, which tunleak does not serve"
		fi
	elif [ "$n" = 0 ]; then
		echo "not ok dashboard/$slug: empty, though the lab has data ($expr)"
	else
		echo "ok dashboard/$slug: $n series"
	fi
done <"$TMP/panels"
expect_true "panels found" test -s "$TMP/panels"
case_end dashboard-panels

# stopped by PID (lib.sh's cleanup does it on every other path)
kill -TERM "$TL_CHILD" 2>/dev/null
wait "$TL_PID" 2>/dev/null
