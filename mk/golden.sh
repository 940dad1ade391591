#!/usr/bin/env bash
# golden.sh — refresh the real reports of tests/golden/ after the report's
# schema or the catalogue changed: run the scenario catalogue (as root, like
# `make run`), then copy over each report tests/golden/ holds, by its name.
# Only report.json files are copied, never lab.json (the answer key). The
# hand-edited copies under tests/golden/variants/ are not touched: edit them
# again as their note in index.json says. Then run build/tests/test_golden.
#   usage: bash mk/golden.sh [REPORTS_DIR]   (a catalogue run's --report directory)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-}
if [ -z "$dir" ]; then
  dir=build/golden-run
  rm -rf "$dir"
  build/siplab run scenarios/ --report "$dir" --quiet
fi
n=0
for f in tests/golden/*.report*.json; do
  name=$(basename "$f")
  if [ ! -f "$dir/$name" ]; then
    echo "golden: $dir/$name is missing (was the scenario renamed?)" >&2
    exit 1
  fi
  cp "$dir/$name" "$f"
  n=$((n + 1))
done
echo "golden: $n reports refreshed from $dir; now: make build/tests/test_golden && build/tests/test_golden"
