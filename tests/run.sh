#!/usr/bin/env bash
# run.sh — run the cmocka test binaries given as arguments and print one
# closing line "N passed, N failed, N skipped" over all of them.
set -uo pipefail
passed=0 failed=0 skipped=0 broken=0
times=()
for t in "$@"; do
  echo "== $t"
  t0=$(date +%s.%N)
  out=$("$t" 2>&1); rc=$?
  printf '%s\n' "$out"
  times+=("$(awk -v a="$t0" -v b="$(date +%s.%N)" -v t="$t" 'BEGIN { printf "%6.1f s  %s", b - a, t }')")
  p=$(printf '%s\n' "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  f=$(printf '%s\n' "$out" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  s=$(printf '%s\n' "$out" | sed -n 's/.*\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  # A binary that crashed or exited non-zero without reporting a failure
  # still counts as one.
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then broken=$((broken + 1)); echo "!! $t exited with $rc"; fi
done
failed=$((failed + broken))
# The slowest binaries, for keeping the suite inside its time budget.
echo "slowest:"
printf '%s\n' "${times[@]}" | sort -rn | head -8
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
