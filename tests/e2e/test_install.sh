#!/usr/bin/env bash
# make install into a staging root: the binary, `man tunleak` (rendered by
# man without a warning), the bash completion (commands, options, their
# values, the interfaces of a namespace, pod names from the runtime's
# metadata on the simulated node), the licences.
. "$(dirname "$0")/lib.sh"
require_root
D=$TMP/root
P=/usr/local
if ! make -C "$ROOT" -s install DESTDIR="$D" PREFIX="$P" >"$TMP/install.log" 2>&1; then
	echo "not ok install: $(tail -3 "$TMP/install.log" | tr '\n' ' ')"
	exit 0
fi
for f in sbin/tunleak share/tunleak/tunleak-route-fix share/tunleak/openvpn-route-up.sh share/man/man8/tunleak.8 \
	share/bash-completion/completions/tunleak share/doc/tunleak/LICENSE \
	share/doc/tunleak/THIRD_PARTY_NOTICES.md share/doc/tunleak/LICENSES/LGPL-2.1.txt \
	share/doc/tunleak/LICENSES/BSD-2-Clause.txt; do
	expect_true "$P/$f installed" test -s "$D$P/$f"
done
# the OpenVPN name runs the hook installed beside it (no CIDR given: it
# stops before looking at any route)
out=$(env -u TUNLEAK_CLUSTER_CIDRS "$D$P/share/tunleak/openvpn-route-up.sh" 2>&1)
expect_eq "openvpn-route-up.sh runs tunleak-route-fix: exit" 2 "$?"
expect_eq "openvpn-route-up.sh runs tunleak-route-fix: message" \
	"tunleak-route-fix: no cluster CIDRs: give them as arguments or in TUNLEAK_CLUSTER_CIDRS" "$out"
case_end installed

# man finds it in the staging root, and renders it without a warning
expect_eq "man -w" "$D$P/share/man/man8/tunleak.8" "$(MANPATH=$D$P/share/man man -w tunleak 2>&1)"
expect_eq "groff's warnings" "" "$(groff -man -ww -z "$D$P/share/man/man8/tunleak.8" 2>&1)"
page=$(MANPATH=$D$P/share/man MANWIDTH=100 man tunleak 2>&1)
expect_match "its name line" "tunleak - find pods whose VPN routes send cluster traffic" "$page"
# every option of every command's --help is in the page (and nothing of --help is missing)
for o in $(for c in "" trace check cleanup; do "$ROOT/tunleak" $c --help; done | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	grep -q -- "$o" <<<"$page" || ERRORS+=("the man page lacks $o")
done
case_end man-page

# complete WORDS...: the completion of the last word, sorted, on one line
C=$D$P/share/bash-completion/completions/tunleak
complete_words() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tunleak
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' _ "$C" "$@"
}
expect_eq "commands" "check cleanup trace version" "$(complete_words tunleak "")"
expect_eq "options after check" "--cidrs-from --cluster-cidr" "$(complete_words tunleak check --c)"
expect_eq "--attach" "auto tc tcx" "$(complete_words tunleak --attach "")"
expect_eq "--export-format" "json prom" "$(complete_words tunleak --export-format "")"
expect_eq "a CIDR is the user's" "" "$(complete_words tunleak --cluster-cidr "")"
# every option of every command's --help completes
for o in $(for c in "" trace check cleanup; do "$ROOT/tunleak" $c --help; done | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	[[ " $(complete_words tunleak "$o") " == *" $o "* ]] || ERRORS+=("$o does not complete")
done
case_end completion-options

# the interfaces of the namespace --netns names, by name or by PID
mkns NS comp
ip -n "$NS" link add "tlc${ID}a" type veth peer name "tlc${ID}b"
expect_eq "--iface in --netns $NS" "tlc${ID}a tlc${ID}b" \
	"$(complete_words tunleak --netns "$NS" --iface "tlc")"
bg "$NS" sleep 30
wait_in_ns "$BG_PID" "$NS"
expect_eq "--tunnel in --pid" "tlc${ID}a tlc${ID}b" \
	"$(complete_words tunleak --pid "$BG_PID" --tunnel "tlc")"
expect_eq "--netns names" "$NS" "$(complete_words tunleak --netns "tl${ID}c")"
case_end completion-interfaces

# pod names from the runtimes' metadata, on the simulated node
nodelab_start vpn-a:plain:crio web-0:plain:containerd other:plain || exit 0
got=$("$ROOT/scripts/nodelab.sh" node "$NL_ID" -- bash -c '. "$1"; COMP_WORDS=(tunleak --pod ""); COMP_CWORD=2; _tunleak
	printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$C")
expect_eq "--pod (CRI-O's and containerd's sandboxes; a hostname is no metadata)" \
	"$NL_PODNS/vpn-a $NL_PODNS/web-0 vpn-a web-0 " "$got"
case_end completion-pods
