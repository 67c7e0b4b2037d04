#!/usr/bin/env bash
# The C sources as the repository's .clang-format writes them. Prints
# "ok format" or "not ok format: FILES" (make format rewrites them).
set -uo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
	echo "not ok format: clang-format is not installed (scripts/deps.sh installs it)"
	exit 0
fi
bad=()
while IFS= read -r f; do
	clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(git ls-files 'bpf/*.[ch]' 'user/*.[ch]' 'tests/*.[ch]' 'bench/*.[ch]' 2>/dev/null ||
	find bpf user tests bench -name '*.[ch]')
if [ ${#bad[@]} -eq 0 ]; then
	echo "ok format"
else
	echo "not ok format: ${#bad[@]} file(s) differ from .clang-format (run make format): ${bad[*]}"
fi
