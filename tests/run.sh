#!/usr/bin/env bash
# tunleak test runner: unit (no privileges), bpf (BPF_PROG_TEST_RUN), e2e
# (network namespaces), asan (unit and BPF tests with sanitizers), fuzz
# (libFuzzer, FUZZ_SECONDS each, default 3), deploy (the Kubernetes manifests).
# Ends with "N passed, N failed" (", N skipped").
# Usage: tests/run.sh [unit|bpf|e2e|style|asan|fuzz|deploy|PATTERN...]
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=.output/tests
pass=0 fail=0 skip=0
failed_names=()
want=("$@")

selected() { # name kind
	[ ${#want[@]} -eq 0 ] && return 0
	local w
	for w in "${want[@]}"; do
		[[ "$2" == "$w" || "$1" == *"$w"* ]] && return 0
	done
	return 1
}

record() { # status name [reason]
	case "$1" in
	ok) pass=$((pass + 1)); printf 'PASS  %s\n' "$2" ;;
	skip) skip=$((skip + 1)); printf 'SKIP  %s: %s\n' "$2" "${3:-}" ;;
	*) fail=$((fail + 1)); failed_names+=("$2"); printf 'FAIL  %s%s\n' "$2" "${3:+: $3}" ;;
	esac
}

# cmocka suites, read through their TAP output. A crash or a sanitizer's
# report stops a suite, and LeakSanitizer reports at exit with every test
# passed: the plan ("1..N") and the exit status count too.
run_cmocka() { # binary suite
	local bin=$1 suite=$2 line n=0 bad=0 log rc plan
	log=$(mktemp)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		CMOCKA_MESSAGE_OUTPUT=TAP "$bin" >"$log" 2>&1
	rc=$?
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$log" | head -1)
	while IFS= read -r line; do
		case "$line" in
		# cmocka's TAP says skip() as "not ok N # SKIP NAME"
		"not ok "[0-9]*" # SKIP "*) record skip "$suite/${line##*# SKIP }" "skipped"; n=$((n + 1)) ;;
		"ok "*) record ok "$suite/${line#*- }"; n=$((n + 1)) ;;
		"not ok "[0-9]*) record fail "$suite/${line#*- }"; n=$((n + 1)); bad=1 ;;
		"# not ok - "* | "# ok - "* | "1.."*) ;;
		*) printf '      %s\n' "$line" ;;
		esac
	done <"$log"
	rm -f "$log"
	if [ "$n" -eq 0 ] || [ "$n" -lt "${plan:-0}" ]; then
		record fail "$suite" "ran $n of ${plan:-?} tests (exit $rc): see the report above"
	elif [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		record fail "$suite" "every test passed but the program exited $rc: see the report above"
	fi
}

is_root() { [ "$(id -u)" -eq 0 ]; }

for t in "$OUT"/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	case "$name" in
	test_prog*) kind=bpf ;;
	*) kind=unit ;;
	esac
	selected "$name" "$kind" || continue
	if [ "$kind" = bpf ] && ! is_root; then
		record skip "bpf/$name" "needs root (CAP_BPF, CAP_NET_ADMIN)"
		continue
	fi
	run_cmocka "$t" "$kind/${name#test_}"
done

# e2e scripts print: "ok NAME", "not ok NAME: why", "skip NAME: why"
for t in tests/e2e/test_*.sh; do
	name=$(basename "$t" .sh)
	selected "$name" e2e || continue
	if ! is_root; then
		record skip "e2e/$name" "needs root (network namespaces, BPF)"
		continue
	fi
	log=$(mktemp)
	start=$(date +%s)
	timeout -k 10 300 bash "$t" >"$log" 2>&1
	rc=$?
	n=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*) record ok "e2e/$name/${line#ok }"; n=$((n + 1)) ;;
		"not ok "*) rest=${line#not ok }; record fail "e2e/$name/${rest%%: *}" "${rest#*: }"; n=$((n + 1)) ;;
		"skip "*) rest=${line#skip }; record skip "e2e/$name/${rest%%: *}" "${rest#*: }"; n=$((n + 1)) ;;
		*) printf '      %s\n' "$line" ;;
		esac
	done <"$log"
	rm -f "$log"
	if [ "$rc" -ne 0 ]; then
		record fail "e2e/$name" "script exited $rc after $(( $(date +%s) - start ))s"
	elif [ "$n" -eq 0 ]; then
		record fail "e2e/$name" "the script reported no test"
	fi
done

# --- style: the layering of user/ (scripts/check-layers.sh), the C sources as
# .clang-format writes them (scripts/check-format.sh) ----------------------
if selected layers style; then
	while IFS= read -r line; do
		case "$line" in
		"ok "*) record ok "style/${line#ok }" ;;
		"not ok "*) rest=${line#not ok }; record fail "style/${rest%%: *}" "${rest#*: }" ;;
		*) printf '      %s\n' "$line" ;;
		esac
	done < <(scripts/check-layers.sh; scripts/check-format.sh)
fi

# --- asan, fuzz, deploy -----------------------------------------------------------
# asan: the unit tests built with AddressSanitizer and UBSan (make asan-build),
# then the BPF tests (below), read like the others.
ASAN_DIR=.output-asan/tests
for t in tests/unit/test_*.c; do
	name=$(basename "$t" .c)
	selected "$name" asan || continue
	if [ ! -x "$ASAN_DIR/$name" ]; then
		record fail "asan/${name#test_}" "$ASAN_DIR/$name not built (make asan-build)"
		continue
	fi
	run_cmocka "$ASAN_DIR/$name" "asan/${name#test_}"
done

# the BPF tests (BPF_PROG_TEST_RUN, over the sanitized privileged modules) as
# root, like kind bpf.
for t in tests/bpf/test_*.c; do
	name=$(basename "$t" .c)
	selected "$name" asan || continue
	if ! is_root; then
		record skip "asan/${name#test_}" "needs root (CAP_BPF, CAP_NET_ADMIN)"
		continue
	fi
	if [ ! -x "$ASAN_DIR/$name" ]; then
		record fail "asan/${name#test_}" "$ASAN_DIR/$name not built (make asan-build)"
		continue
	fi
	run_cmocka "$ASAN_DIR/$name" "asan/${name#test_}"
done

# fuzz: each libFuzzer target for FUZZ_SECONDS (3: make fuzz-short; make fuzz
# runs them for 60). scripts/fuzz.sh prints "ok NAME: ..." / "not ok NAME: crash".
for t in tests/fuzz/fuzz_*.c; do
	name=$(basename "$t" .c)
	selected "$name" fuzz || continue
	while IFS= read -r line; do
		case "$line" in
		"ok "*) record ok "fuzz/${line#ok }" ;;
		"not ok "*) rest=${line#not ok }; record fail "fuzz/${rest%%: *}" "${rest#*: }" ;;
		*) printf '      %s\n' "$line" ;;
		esac
	done < <(scripts/fuzz.sh "${FUZZ_SECONDS:-3}" "${name#fuzz_}")
done

# deploy: the Kubernetes manifests, validated without a cluster against the
# API's models (python3-kubernetes); then the validator must refuse broken
# copies of them (--self-test).
if selected deploy deploy; then
	for mode in validate --self-test; do
		log=$(mktemp)
		/usr/bin/python3 tests/deploy/validate.py ${mode#validate} deploy >"$log" 2>&1
		rc=$?
		n=0 bad=0
		while IFS= read -r line; do
			case "$line" in
			"ok "*) record ok "deploy/${line#ok }"; n=$((n + 1)) ;;
			"not ok "*) rest=${line#not ok }; record fail "deploy/${rest%%: *}" "${rest#*: }"
				n=$((n + 1)); bad=1 ;;
			*) printf '      %s\n' "$line" ;;
			esac
		done <"$log"
		rm -f "$log"
		# a crash (an import error, a traceback) must not pass as silence
		if [ "$n" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; }; then
			record fail "deploy/${mode#--}" "tests/deploy/validate.py exited $rc after $n results"
		fi
	done
fi

# deploy: the other checks of deploy/ (tests/deploy/*.sh: the alerts under
# promtool, ...), each printing "ok NAME", "not ok NAME: why", "skip NAME: why"
if selected deploy deploy; then
	for t in tests/deploy/*.sh; do
		n=0
		while IFS= read -r line; do
			case "$line" in
			"ok "*) record ok "deploy/${line#ok }"; n=$((n + 1)) ;;
			"not ok "*) rest=${line#not ok }; record fail "deploy/${rest%%: *}" "${rest#*: }"; n=$((n + 1)) ;;
			"skip "*) rest=${line#skip }; record skip "deploy/${rest%%: *}" "${rest#*: }"; n=$((n + 1)) ;;
			*) printf '      %s\n' "$line" ;;
			esac
		done < <(bash "$t" 2>&1)
		[ "$n" -gt 0 ] || record fail "deploy/$(basename "$t" .sh)" "$t reported no test"
	done
fi

echo
if [ ${#failed_names[@]} -gt 0 ]; then
	printf 'failed: %s\n' "${failed_names[@]}"
fi
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
