#!/usr/bin/env bash
# Node mode under hostile pods and tight limits, on the simulated node
# (scripts/nodelab.sh): never blind without saying so, never wrong about who.
#  - capabilities: without CAP_SYS_PTRACE (or CAP_SYS_ADMIN) a node-wide
#    command says which one is missing and exits 2, never an all-clear;
#  - check --tunnel NAME for a tunnel that is not there exits 2;
#  - a hostname with '/' never reads as a runtime's NAMESPACE/NAME, and every
#    name says where it comes from;
#  - a new namespace under the inode of a dead pod's is not named after it;
#  - a second --all --attach tc that cannot attach says so once per interface;
#  - out of file descriptors, the pods not traced are said once each with the
#    reason, counted in the file and /metrics, traced when fds come back; and
#    none traced at all is exit 2;
#  - more pods ending than the 64 kept: the totals never fall.
. "$(dirname "$0")/lib.sh"
require_root

NL=$ROOT/scripts/nodelab.sh
on_node() { "$NL" node "$NL_ID" -- "$@"; }
in_pod() { local p=$1; shift; "$NL" pod "$NL_ID" "$p" -- "$@"; }
J=$TMP/node.json

wait_json() { # JQ VALUE [SECONDS]: until the counters file says so
	local i
	for ((i = 0; i < ${3:-5} * 10; i++)); do
		[ "$(jqf "$J" "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

leak_from() { in_pod "$1" ping -q -n -c "${2:-1}" -i 0.1 -W 1 "$NL_OTHER_POD_IP" >/dev/null; }

# --- the first node: pods with runtime names, one that claims another's ----------
nodelab_start alpha:tuntap:crio victim:tuntap:crio evil:tuntap web:tuntap || exit 0
CIDRS=(--cluster-cidr "$NL_CLUSTER_CIDR" --service-cidr "$NL_SERVICE_CIDR")
NO_PTRACE=(setpriv --bounding-set=-all,+bpf,+net_admin,+sys_admin --inh-caps=-all)
NO_SYSADMIN=(setpriv --bounding-set=-all,+bpf,+net_admin,+sys_ptrace --inh-caps=-all)
FULL_SET=(setpriv --bounding-set=-all,+bpf,+net_admin,+sys_admin,+sys_ptrace --inh-caps=-all)

# --- capabilities: the README's set without CAP_SYS_PTRACE ----------------------
# The pods' processes have more capabilities than tunleak: their namespaces
# cannot be read. Two pods are seen through their runtime's pins, two not.
PTRACE_LINE="missing capability CAP_SYS_PTRACE \(needed to read the network namespace of other users' and more privileged processes\): [0-9]+ of [0-9]+ processes cannot be looked at"
on_node "${NO_PTRACE[@]}" "$TUNLEAK" check --all "${CIDRS[@]}" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "check --all: exit code" 2 "$?"
expect_match "check --all: names the capability" "^tunleak: $PTRACE_LINE, and pods of theirs would not be seen$" "$(cat "$TMP/c.err")"
expect_eq "check --all: no finding printed as if the node were audited" "" "$(cat "$TMP/c.out")"
on_node "${NO_PTRACE[@]}" "$TUNLEAK" --all "${CIDRS[@]}" --duration 2 >"$TMP/t.out" 2>"$TMP/t.err"
expect_eq "trace --all: exit code" 2 "$?"
expect_match "trace --all: names the capability" "^tunleak: $PTRACE_LINE" "$(cat "$TMP/t.err")"
on_node "${NO_PTRACE[@]}" "$TUNLEAK" --pod web "${CIDRS[@]}" --duration 1 >"$TMP/t.out" 2>"$TMP/t.err"
expect_eq "--pod of a pod it cannot see: exit code" 2 "$?"
expect_match "--pod: not 'no pod of that name', the capability" "^tunleak: --pod \"web\": not among the pods that can be seen: $PTRACE_LINE$" "$(cat "$TMP/t.err")"
on_node "${NO_SYSADMIN[@]}" "$TUNLEAK" --all "${CIDRS[@]}" --duration 2 >"$TMP/t.out" 2>"$TMP/t.err"
expect_eq "without CAP_SYS_ADMIN, trace --all: exit code" 2 "$?"
expect_match "without CAP_SYS_ADMIN: names it" "^tunleak: missing capability CAP_SYS_ADMIN " "$(cat "$TMP/t.err")"
on_node "${NO_SYSADMIN[@]}" "$TUNLEAK" --pod victim "${CIDRS[@]}" --duration 1 >"$TMP/t.out" 2>"$TMP/t.err"
expect_eq "without CAP_SYS_ADMIN, --pod: exit code" 2 "$?"
expect_match "without CAP_SYS_ADMIN, --pod: names it" "^tunleak: missing capability CAP_SYS_ADMIN " "$(cat "$TMP/t.err")"
# the documented set is enough: every pod is audited
on_node "${FULL_SET[@]}" "$TUNLEAK" check --all "${CIDRS[@]}" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "the full set: check --all finds the leaking routes" 1 "$?"
expect_match "the full set: every pod audited" "check: 4 namespaces with a tunnel audited \(of 4 on this node\), 4 with findings" "$(cat "$TMP/c.err")"
case_end "missing-capabilities-exit-2"

# --- check --tunnel NAME: a tunnel that is not there is no all-clear ---------------
on_node "$TUNLEAK" check --pod victim --tunnel tun9 "${CIDRS[@]}" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "check --tunnel tun9: exit code" 2 "$?"
expect_eq "check --tunnel tun9: one line naming it" "tunleak: --tunnel \"tun9\": no such interface in pod $NL_PODNS/victim" "$(cat "$TMP/c.err")"
on_node "$TUNLEAK" check --pod victim --tunnel tun0 "${CIDRS[@]}" >"$TMP/c.out" 2>"$TMP/c.err"
expect_eq "check --tunnel tun0: the leak found" 1 "$?"
case_end "check-absent-tunnel-exit-2"

# --- names: a hostname with '/', and a dead pod's inode ----------------------------
# evil claims to be default/victim, which the runtime names victim in default.
in_pod evil sh -c 'printf %s default/victim >/proc/sys/kernel/hostname'
node_tunleak --all "${CIDRS[@]}" --json --export "$J" --interval 0.3 --metrics-addr 127.0.0.1:9464
leak_from victim
leak_from evil
wait_json '[.namespaces[] | select(.leaks.packets == 1)] | length' 2
expect_eq "events: who, and where each name comes from" \
	'default\x2fvictim null hostname|victim default runtime' \
	"$(flow_lines "$TMP/n.out" | jq -r '"\(.pod) \(.k8s_namespace) \(.name_source)"' | sort | paste -sd '|')"
expect_eq "the counters file: the same" \
	'alpha default runtime|default\x2fvictim null hostname|victim default runtime|web null hostname' \
	"$(jqf "$J" '.namespaces[] | "\(.pod) \(.k8s_namespace) \(.name_source)"' | sort | paste -sd '|')"
expect_match "stderr names it as a hostname's" 'tun0 attached .* in pod default\\x2fvictim$' "$(grep 'tun0 attached' "$TMP/n.err" | grep -F x2f)"
on_node curl -s -m 2 -o "$TMP/m.txt" http://127.0.0.1:9464/metrics
expect_eq "/metrics: the source of each name" \
	'tunleak_namespace_name_source{netns="default\\x2fvictim",k8s_pod="default\\x2fvictim",k8s_namespace="",source="hostname"} 1|tunleak_namespace_name_source{netns="victim",k8s_pod="victim",k8s_namespace="default",source="runtime"} 1' \
	"$(grep -E '^tunleak_namespace_name_source\{netns="(victim|default)' "$TMP/m.txt" | sort | paste -sd '|')"
case_end "hostname-with-slash-is-not-a-runtime-name"

# alpha stops as a sandbox stops: its pin goes, its config.json stays. The
# kernel gives namespaces the lowest free inode number: the holes below
# alpha's are filled with UTS namespaces held by processes of ours, so that
# the next pod's network namespace gets alpha's inode, as happens on a node
# where pods come and go.
cat >"$TMP/holes.py" <<'PY'
import ctypes, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
target, pidfile = int(sys.argv[1]), sys.argv[2]
def spawn():
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        # nothing of the caller's held open: its $(...) must end
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        if libc.unshare(0x04000000) == 0:  # CLONE_NEWUTS
            os.write(w, str(os.stat("/proc/self/ns/uts").st_ino).encode())
        os.close(w)
        signal.pause()
        os._exit(0)
    os.close(w)
    data = os.read(r, 64)
    os.close(r)
    return pid, int(data or 0)
held = []
with open(pidfile, "w") as f:
    for _ in range(20000):
        pid, ino = spawn()
        f.write("%d\n" % pid)
        f.flush()
        if ino >= target or ino == 0:
            break
        held.append(pid)
    if ino != target or not held:
        print("the next free inode is %d, not %d" % (ino, target))
        sys.exit(1)
    # the target free again, and one hole below it: the next pod's UTS
    # namespace takes the hole, its network namespace the target
    for p in (pid, held[-1]):
        os.kill(p, signal.SIGKILL)
        os.waitpid(p, 0)
PY
ALPHA_INODE=$NL_POD_ALPHA_NETNS_INODE
"$NL" stop-pod "$NL_ID" alpha >/dev/null || ERRORS+=("stop-pod alpha failed")
wait_for "$TMP/n.err" "pod $NL_PODNS/alpha: its network namespace is gone" 5 || ERRORS+=("alpha's end not noticed")
# the kernel frees a network namespace's inode in its deferred cleanup
sleep 1
reused= why=
if why=$(/usr/bin/python3 "$TMP/holes.py" "$ALPHA_INODE" "$TMP/holes.pids" 2>&1); then
	"$NL" add-pod "$NL_ID" beta1:tuntap >/dev/null || ERRORS+=("add-pod beta1 failed")
	eval "$("$NL" env "$NL_ID")"
	[ "$NL_POD_BETA1_NETNS_INODE" = "$ALPHA_INODE" ] && reused=beta1
	why="beta1 got $NL_POD_BETA1_NETNS_INODE"
fi
while read -r p; do kill -KILL "$p" 2>/dev/null; done <"$TMP/holes.pids"
if [ -z "$reused" ]; then
	node_stop
	echo "skip dead-pod-name-not-reused: the new pod did not get alpha's inode $ALPHA_INODE ($why; namespaces made elsewhere on the machine at the same time?)"
else
	wait_for "$TMP/n.err" "tun0 attached .* in pod $reused\$" 5 || ERRORS+=("$reused not traced: $(tail -2 "$TMP/n.err" | tr '\n' ' ')")
	leak_from "$reused"
	wait_json "[.namespaces[] | select(.inode == $ALPHA_INODE and .state == \"tracing\") | .leaks.packets] | first" 1
	expect_eq "the live namespace under alpha's inode" "$reused $reused null hostname tracing" \
		"$(jqf "$J" ".namespaces[] | select(.inode == $ALPHA_INODE and .state == \"tracing\") | \"\(.label) \(.pod) \(.k8s_namespace) \(.name_source) \(.state)\"")"
	expect_eq "alpha: gone, its own counts" "alpha gone" \
		"$(jqf "$J" '.namespaces[] | select(.label == "alpha") | "\(.label) \(.state)"')"
	expect_eq "the new pod's event" "$reused null hostname" \
		"$(flow_lines "$TMP/n.out" | jq -r "select(.pod == \"$reused\") | \"\(.pod) \(.k8s_namespace) \(.name_source)\"")"
	expect_eq "no event names alpha" "" "$(flow_lines "$TMP/n.out" | jq -r 'select(.pod == "alpha") | .pod')"
	expect_eq "the route watch names the new pod as it names itself" "$reused hostname" \
		"$(jq -r "select(.type == \"route_leak\" and .pod == \"$reused\" and .class == \"pod\") | \"\(.pod) \(.name_source)\"" "$TMP/n.out")"
	node_stop
	expect_eq "exit code" 0 "$TL_RC"
	case_end "dead-pod-name-not-reused"
fi

# text events: the claimed name is shown as a hostname's, the runtime's as NAMESPACE/NAME
node_tunleak --all "${CIDRS[@]}"
leak_from victim
leak_from evil
wait_for "$TMP/n.out" 'pod=default\\x2fvictim' 3
sleep 0.3
node_stop
expect_eq "text: one event each, told apart" \
	'LEAK pod=default/victim tun0|LEAK pod=default\x2fvictim tun0' \
	"$(flow_lines "$TMP/n.out" | awk '{print $2, $3, $4}' | sort | paste -sd '|')"
case_end "hostname-with-slash-in-text"

# --- a second --all --attach tc that cannot attach: said once, not every second ----
node_tunleak --all --attach tc "${CIDRS[@]}"
FIRST_CHILD=$TL_CHILD FIRST_PID=$TL_PID
on_node "$TUNLEAK" --all --attach tc "${CIDRS[@]}" --duration 3.5 --export "$TMP/second.json" --interval 0.3 \
	>"$TMP/s.out" 2>"$TMP/s.err"
expect_eq "the second run: exit code" 0 "$?"
n=$(grep -c 'tc handle' "$TMP/s.err")
expect_match "the second run: says why it cannot attach" '^[1-9][0-9]*$' "$n"
expect_eq "each interface said once in 3.5 s" "" "$(grep 'tc handle' "$TMP/s.err" | sort | uniq -d)"
expect_eq "each failed interface said" "$n" "$(jq '[.namespaces[].interfaces[] | select(.state == "failed")] | length' "$TMP/second.json")"
expect_match "said with its pod" '^tunleak: pod [a-z0-9/]+: (eth0|tun0): ' "$(grep 'tc handle' "$TMP/s.err" | head -1)"
TL_CHILD=$FIRST_CHILD TL_PID=$FIRST_PID
node_stop
case_end "attach-failure-said-once"

# --- the second node: more pods with a tunnel than fds --------------------------
cleanup_now nodelab
NPODS=70
specs=()
for ((i = 1; i <= NPODS; i++)); do specs+=("$(printf 'p%02d' "$i"):tuntap"); done
nodelab_start "${specs[@]}" || exit 0

# 64 open files: a few pods are traced, the others are said, once each, with
# the reason, and counted; the counters file and /metrics keep working.
TL_WRAP=(prlimit --nofile=64:64)
node_tunleak --all "${CIDRS[@]}" --json --export "$J" --interval 0.3 \
	--metrics-addr 127.0.0.1:9464
TL_WRAP=()
sleep 2.5 # tried again, in vain: nothing is said again
untraced=$(grep -c ': not traced: ' "$TMP/n.err")
traced=$(jqf "$J" .namespace_states.traced)
expect_match "some pods untraced" '^[1-9][0-9]*$' "$untraced"
expect_match "some pods traced" '^[1-9][0-9]*$' "$traced"
expect_eq "each pod said at most once" "" "$(grep -o 'pod p[0-9]*: not traced' "$TMP/n.err" | sort | uniq -d)"
expect_match "the reason" "^tunleak: pod p[0-9]+: not traced: too few file descriptors left to trace it: Too many open files \(open files limit 64\)$" "$(grep ': not traced: ' "$TMP/n.err" | head -1)"
expect_match "the start line counts them" "found $NPODS network namespaces besides the host's \([0-9]+ processes\), $NPODS with a tunnel; $untraced not traced \(see above\)" "$(cat "$TMP/n.err")"
expect_eq "counters file: traced + untraced" "$NPODS $untraced" "$(jqf "$J" '.namespace_states | "\(.traced + .untraced) \(.untraced)"')"
expect_eq "counters file: each untraced one listed with its reason" "$untraced" \
	"$(jqf "$J" '[.namespaces[] | select(.state == "untraced" and (.untraced | test("Too many open files")))] | length')"
on_node curl -s -m 2 -o "$TMP/m.txt" http://127.0.0.1:9464/metrics
expect_eq "/metrics: the gauge" "tunleak_namespaces{state=\"untraced\"} $untraced" "$(grep '^tunleak_namespaces{state="untraced"}' "$TMP/m.txt")"
expect_eq "/metrics: one series each, with the reason" "$untraced" "$(grep -c '^tunleak_namespace_untraced{.*reason="file_descriptors"} 1$' "$TMP/m.txt")"
expect_eq "no output lost to the fd limit" "" "$(grep -E 'write .*: Too many|metrics.*Too many' "$TMP/n.err")"
# a traced pod still counts exactly
first=$(jqf "$J" '[.namespaces[] | select(.state == "tracing") | .label] | first')
leak_from "$first" 2
wait_json "[.namespaces[] | select(.label == \"$first\") | .leaks.packets] | first" 2 || ERRORS+=("$first's 2 leaks not counted: $(jqf "$J" "[.namespaces[] | select(.label == \"$first\") | .leaks.packets]")")
# a traced pod ends: its fds go to one that was not traced
"$NL" del-pod "$NL_ID" "$first" >/dev/null || ERRORS+=("del-pod $first failed")
wait_for "$TMP/n.err" ": traced now" 6 || ERRORS+=("no untraced pod traced after $first ended: $(tail -3 "$TMP/n.err" | tr '\n' ' ')")
wait_json ".namespace_states.untraced < $untraced" true 3 || ERRORS+=("untraced still $(jqf "$J" .namespace_states.untraced)")
node_stop
expect_eq "exit code" 0 "$TL_RC"
case_end "out-of-fds-said-and-counted"

# so few fds that no pod can be traced: exit 2
on_node prlimit --nofile=40:40 "$TUNLEAK" --all "${CIDRS[@]}" --duration 3 >"$TMP/t.out" 2>"$TMP/t.err"
expect_eq "none traceable: exit code" 2 "$?"
expect_match "none traceable: the last line" "^tunleak: --all: $((NPODS - 1)) network namespaces with a tunnel, and none could be traced \(each said why above\)$" "$(grep -v detached "$TMP/t.err" | tail -1)"
case_end "none-traceable-exit-2"

# --- more pods end than the 64 kept: the list is trimmed, the totals are not -------
node_tunleak --all "${CIDRS[@]}" --export "$J" --interval 0.3
eval "$("$NL" env "$NL_ID")"
n=0
pings=()
for p in $NL_PODS; do
	leak_from "$p" &
	pings+=($!)
	n=$((n + 1))
done
wait "${pings[@]}"
wait_json ".leaks.packets" "$n" 10 || ERRORS+=("leaks before: expected $n, got $(jqf "$J" .leaks.packets)")
# every pod ends at once: their sandbox processes killed
hostpids=()
for p in $NL_PODS; do
	v=${p^^}
	v=NL_POD_${v}_HOSTPID
	hostpids+=("${!v}")
done
kill -KILL "${hostpids[@]}" 2>/dev/null
wait_json ".namespace_states.gone_folded" "$((n - 64))" 10 || ERRORS+=("folded: expected $((n - 64)), got $(jqf "$J" .namespace_states.gone_folded)")
expect_eq "totals after: packets, flows" "$n $n" "$(jqf "$J" '"\(.leaks.packets) \(.leaks.flows)"')"
expect_eq "listed: 64 gone" "64 64" "$(jqf "$J" '"\(.namespaces | length) \(.namespace_states.gone)"')"
sleep 1
expect_eq "totals a second later" "$n" "$(jqf "$J" .leaks.packets)"
node_stop
expect_match "the summary line" "detached; $n leak packets in $n flows" "$(tail -1 "$TMP/n.err")"
case_end "totals-never-fall"
