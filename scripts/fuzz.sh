#!/usr/bin/env bash
# Run each libFuzzer target of tests/fuzz/ for SECONDS (default 60), from its
# seeds (tests/fuzz/corpus/NAME) and the corpus kept between runs
# (.output-fuzz/corpus/NAME). Prints "ok fuzz_NAME: ..." or
# "not ok fuzz_NAME: crash file" per target; exits 1 if any failed.
# Usage: scripts/fuzz.sh [SECONDS [NAME...]]   (make fuzz, make fuzz-short)
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=.output-fuzz
secs=${1:-60}
shift || true
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c)
		names+=("${n#fuzz_}")
	done
fi

rc=0
for n in "${names[@]}"; do
	bin=$OUT/fuzz_$n
	if [ ! -x "$bin" ]; then
		echo "not ok fuzz_$n: $bin not built (make fuzz-build)"
		rc=1
		continue
	fi
	mkdir -p "$OUT/corpus/$n" "$OUT/crashes"
	dict=()
	case $n in
	netconf | podmeta) dict=(-dict=tests/fuzz/json.dict) ;;
	http) dict=(-dict=tests/fuzz/http.dict) ;;
	esac
	log=$OUT/fuzz_$n.log
	# the first directory gets what the run finds; the seeds are only read
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$OUT/crashes/$n-" "${dict[@]}" \
		"$OUT/corpus/$n" "tests/fuzz/corpus/$n" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ "$status" -eq 0 ]; then
		echo "ok fuzz_$n: ${runs:-?} runs in ${secs} s, ${cov:-cov: ?}"
	else
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		why=$(grep -m1 -E 'ERROR: (AddressSanitizer|libFuzzer|UndefinedBehaviorSanitizer)|runtime error|deadly signal' "$log")
		echo "not ok fuzz_$n: ${crash:-no crash file} (${why:-exit $status}; log $log)"
		rc=1
	fi
done
exit $rc
