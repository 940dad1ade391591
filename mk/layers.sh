#!/usr/bin/env bash
# layers.sh — the folder layout is the architecture, and its dependencies run
# one way. Every `#include "..."` of our own is checked against the table
# below: a folder may include itself and the folders it names, nothing else.
# Most important: diagnose/ reads only a report, so it sees lib/ and media/
# (the SDP reader and the codec table) and nothing of the lab (sim/, netns/,
# registrar/, faults/). Exit 1 on any breach.
set -euo pipefail
cd "$(dirname "$0")/.."

# folder: the folders it may include (besides itself), bottom to top.
declare -A may=(
  [lib]=""
  [netns]="lib"
  [media]="lib"
  [sip]="lib"
  [registrar]="lib media sip"
  [faults]="lib media"
  [diagnose]="lib media"
  [pcapdx]="lib media"
  [html]="lib media diagnose"
  [sim/model]="lib media faults"
  [train]="lib media faults diagnose sim/model"
  [sim/platform]="lib media sim/model"
  [sim/worker]="lib media sip sim/model sim/platform"
  [sim/run]="lib netns media registrar faults sim/model sim/platform"
  [repro]="lib media faults"
  [sim/cli]="lib netns media sip registrar faults diagnose pcapdx html sim/model sim/platform sim/worker sim/run train repro"
  [tests]="lib netns media sip registrar faults diagnose pcapdx html sim/model sim/platform sim/worker sim/run sim/cli train repro"
)

bad=0 checked=0
for dir in "${!may[@]}"; do
  for f in "$dir"/*.[ch]; do
    [ -e "$f" ] || continue
    while IFS= read -r inc; do
      target=$(realpath -m --relative-to=. "$dir/$inc")
      tdir=$(dirname "$target")
      checked=$((checked + 1))
      [ "$tdir" = "$dir" ] && continue
      ok=0
      for allowed in ${may[$dir]}; do
        [ "$tdir" = "$allowed" ] && ok=1
      done
      if [ "$ok" -eq 0 ]; then
        echo "layers: $f includes $target: $dir/ may include only ${may[$dir]:-nothing of ours}" >&2
        bad=$((bad + 1))
      fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
  done
done

# Every folder with sources must be in the table, so a new one is placed on purpose.
while IFS= read -r d; do
  d=${d#./}
  if [ -z "${may[$d]+x}" ]; then
    echo "layers: $d/ holds C sources but is not in mk/layers.sh: say where it sits" >&2
    bad=$((bad + 1))
  fi
done < <(find . -path './build*' -prune -o -path ./.git -prune -o -name '*.[ch]' -printf '%h\n' | sort -u | grep -v '^\./mk$')

if [ "$bad" -ne 0 ]; then
  echo "layers: $bad include(s) against the direction (docs/architecture.md)" >&2
  exit 1
fi
echo "layers: $checked includes, every one points down the layers"
