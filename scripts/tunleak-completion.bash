# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bash completion for tunleak (make install puts it in
# share/bash-completion/completions/tunleak): commands, options, their fixed
# values, interface names for --iface/--tunnel (those of the namespace that
# --netns or --pid names, else this one's), pod names for --pod (from the
# container runtime's sandbox metadata, as tunleak reads it: readable by
# root), namespace names for --netns, PIDs for --pid, files where a file is
# asked for. The options are those of `tunleak --help`.

_tunleak_options="--cluster-cidr --service-cidr --node-cidr --remote-cidr --cidrs-from
--iface --tunnel --netns --pid --pod --all --attach --fix --json --export --export-format
--interval --duration --max-flows --pcap --pcap-packets --snaplen --pcap-max-mb --top
--metrics-addr --ready-file -v --verbose -h --help --version -V"

# Interface names of the namespace the command line names so far.
_tunleak_ifaces() {
	local i netns="" pid="" w
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--netns) netns=${COMP_WORDS[i + 1]} ;;
		--netns=*) netns=${w#--netns=} ;;
		--pid) pid=${COMP_WORDS[i + 1]} ;;
		--pid=*) pid=${w#--pid=} ;;
		esac
	done
	if [[ $netns =~ ^/proc/([0-9]+)/ns/net$ ]]; then
		pid=${BASH_REMATCH[1]}
		netns=""
	fi
	if [ -n "$pid" ] && [ -r "/proc/$pid/net/dev" ]; then
		# /proc/PID/net is the namespace of process PID
		sed -n 's/^ *\([^:]*\):.*/\1/p' "/proc/$pid/net/dev"
	elif [ -n "$netns" ]; then
		ip -n "${netns#/run/netns/}" -o link show 2>/dev/null | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p'
	else
		ls /sys/class/net 2>/dev/null
	fi
}

# Pod names, and NAMESPACE/NAME, from the runtimes' sandbox config.json
# (CRI-O: io.kubernetes.pod.*, containerd: io.kubernetes.cri.sandbox-*).
_tunleak_pods() {
	local f name ns text
	for f in /run/containers/storage/overlay-containers/*/userdata/config.json \
		/run/containerd/io.containerd.runtime.v2.task/*/*/config.json; do
		[ -r "$f" ] || continue
		text=$(tr -d '\n' <"$f")
		grep -Eq '"io\.kubernetes\.(cri-o\.ContainerType|cri\.container-type)": *"sandbox"' <<<"$text" ||
			continue
		name=$(sed -n 's/.*"io\.kubernetes\.\(pod\.name\|cri\.sandbox-name\)": *"\([^"]*\)".*/\2/p' <<<"$text")
		ns=$(sed -n 's/.*"io\.kubernetes\.\(pod\.namespace\|cri\.sandbox-namespace\)": *"\([^"]*\)".*/\2/p' <<<"$text")
		[ -n "$name" ] || continue
		echo "$name"
		[ -n "$ns" ] && echo "$ns/$name"
	done
}

_tunleak() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	COMPREPLY=()
	case $prev in
	--iface | --tunnel)
		mapfile -t COMPREPLY < <(compgen -W "$(_tunleak_ifaces)" -- "$cur")
		return ;;
	--pod)
		mapfile -t COMPREPLY < <(compgen -W "$(_tunleak_pods | sort -u)" -- "$cur")
		return ;;
	--netns)
		mapfile -t COMPREPLY < <(compgen -W "$(ls /run/netns 2>/dev/null)" -- "$cur")
		[[ $cur == /* || $cur == .* ]] && mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	--pid)
		mapfile -t COMPREPLY < <(compgen -W "$(cd /proc && ls -d [0-9]* 2>/dev/null)" -- "$cur")
		return ;;
	--attach)
		mapfile -t COMPREPLY < <(compgen -W "auto tcx tc" -- "$cur")
		return ;;
	--export-format)
		mapfile -t COMPREPLY < <(compgen -W "json prom" -- "$cur")
		return ;;
	--cidrs-from | --export | --pcap | --ready-file)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		[ "$prev" = --cidrs-from ] && [ -z "$cur" ] && COMPREPLY+=(-)
		return ;;
	--cluster-cidr | --service-cidr | --node-cidr | --remote-cidr | --interval | --duration | \
		--max-flows | --pcap-packets | --snaplen | --pcap-max-mb | --metrics-addr)
		return ;; # a value of the user's
	esac
	if [ "$COMP_CWORD" -eq 1 ] && [[ $cur != -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "trace check cleanup version" -- "$cur")
		return
	fi
	mapfile -t COMPREPLY < <(compgen -W "$_tunleak_options" -- "$cur")
}
complete -F _tunleak tunleak
