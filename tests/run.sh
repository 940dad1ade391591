#!/usr/bin/env bash
# run.sh — run the cmocka test binaries given as arguments and print one
# closing line "N passed, N failed, N skipped" over all of them.
#
# The binaries named in SIPLAB_TEST_ALONGSIDE (default: test_catalogue) start
# first and run alongside the others, which run one after another: the
# catalogue mostly waits on its labs' clocks, so the suite takes about the
# longest of the two instead of their sum. Their output is printed at the end.
set -uo pipefail
passed=0 failed=0 skipped=0 broken=0
times=()
alongside=" ${SIPLAB_TEST_ALONGSIDE-test_catalogue} "
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One binary's output into "$tmp/NAME.out", its exit code and time beside it.
run_one() {
  local t=$1 name t0 rc
  name=$(basename "$t")
  t0=$(date +%s.%N)
  "$t" >"$tmp/$name.out" 2>&1
  rc=$?
  echo "$rc" >"$tmp/$name.rc"
  awk -v a="$t0" -v b="$(date +%s.%N)" -v t="$t" 'BEGIN { printf "%6.1f s  %s", b - a, t }' \
    >"$tmp/$name.time"
}

# Count what one binary's output says, and print it.
tally() {
  local t=$1 name out rc p f s
  name=$(basename "$t")
  out=$(cat "$tmp/$name.out")
  rc=$(cat "$tmp/$name.rc")
  echo "== $t"
  printf '%s\n' "$out"
  times+=("$(cat "$tmp/$name.time")")
  p=$(printf '%s\n' "$out" | sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  f=$(printf '%s\n' "$out" | sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  s=$(printf '%s\n' "$out" | sed -n 's/.*\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | awk '{s+=$1} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  # A binary that crashed or exited non-zero without reporting a failure
  # still counts as one.
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then broken=$((broken + 1)); echo "!! $t exited with $rc"; fi
}

t_start=$(date +%s)
bg=() fg=()
for t in "$@"; do
  case "$alongside" in
    *" $(basename "$t") "*) bg+=("$t") ;;
    *) fg+=("$t") ;;
  esac
done
pids=()
for t in "${bg[@]}"; do
  echo "== $t (alongside the others; its output follows at the end)"
  run_one "$t" &
  pids+=($!)
done
for t in "${fg[@]}"; do
  run_one "$t"
  tally "$t"
done
for p in "${pids[@]}"; do wait "$p"; done
for t in "${bg[@]}"; do tally "$t"; done
failed=$((failed + broken))
# The slowest binaries, for keeping the suite inside its time budget.
echo "slowest:"
printf '%s\n' "${times[@]}" | sort -rn | head -8
echo "suite wall time: $(($(date +%s) - t_start)) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
