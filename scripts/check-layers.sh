#!/usr/bin/env bash
# The layering of user/ (user/README.md), checked: every source file sits in a
# layer's folder, and includes only from its own folder and the folders
# before it in LAYERS. Prints "ok layers/FOLDER" or "not ok layers/FOLDER: why".
set -uo pipefail
cd "$(dirname "$0")/.."
LAYERS=(lib model config netns audit node datapath out trace cmd)
rank() { local i; for i in "${!LAYERS[@]}"; do [ "${LAYERS[$i]}" = "$1" ] && { echo "$i"; return; }; done; echo -1; }

stray=$(find user -maxdepth 1 -name '*.[ch]' | sort)
if [ -n "$stray" ]; then
	echo "not ok layers/top: files outside a layer's folder: $(echo $stray)"
else
	echo "ok layers/top"
fi
for d in user/*/; do
	d=${d%/}
	layer=${d#user/}
	me=$(rank "$layer")
	if [ "$me" -lt 0 ]; then
		echo "not ok layers/$layer: user/$layer is not one of: ${LAYERS[*]}"
		continue
	fi
	if [ ! -s "$d/README.md" ]; then
		echo "not ok layers/$layer: $d/README.md says nothing of what it owns"
		continue
	fi
	bad=""
	while IFS=: read -r file inc; do
		[ -n "$file" ] || continue
		to=${inc%%/*}
		r=$(rank "$to")
		if [ "$r" -lt 0 ] || [ "$r" -gt "$me" ]; then
			bad="$bad $file→$inc"
		fi
	done < <(grep -o '#include "[a-z_]*/[^"]*"' "$d"/*.[ch] | sed 's/:#include "/:/;s/"$//')
	if [ -n "$bad" ]; then
		echo "not ok layers/$layer: includes from a layer above:$bad"
	else
		echo "ok layers/$layer"
	fi
done
