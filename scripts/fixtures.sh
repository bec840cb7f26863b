#!/usr/bin/env bash
# make fixtures: regenerate the committed fixtures and their expected outputs. Run on purpose,
# then review the diff (git diff fixtures/) before committing.
set -euo pipefail
cd "$(dirname "$0")/.."
R=${RESTRACE:-.build/release/restrace}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

imported() {  # NAME: a capture imported from the fixture's hand-written messages.jsonl
  rm -rf "fixtures/$1/capture"
  "$R" import --format jsonl "fixtures/$1/messages.jsonl" --out "fixtures/$1/capture" 2>/dev/null
}
simulated() {  # NAME OPTIONS…: a simulated capture and what was injected
  local name=$1; shift
  mkdir -p "fixtures/$name"
  rm -rf "fixtures/$name/capture"
  "$R" simulate --out "fixtures/$name/capture" "$@" > "fixtures/$name/injected.json" 2>/dev/null
}

imported sdk-dialects
imported bad-input
simulated clean-day      --devices 8  --duration 10m --seed 101 --no-faults
simulated failure-storm  --devices 10 --duration 10m --seed 202 --failure-rate 0.35 --rejection-rate 0.15 --stall-rate 0 --pause-rate 0
simulated stalled-fleet  --devices 12 --duration 12m --seed 303 --failure-rate 0 --rejection-rate 0 --stall-rate 0.2
simulated blind-window   --devices 8  --duration 10m --seed 404 --blind-windows 2

for dir in fixtures/*/; do
  name=$(basename "$dir")
  [ -d "$dir/capture" ] || continue
  "$R" project "$dir/capture" --db "$TMP/$name.sqlite" --quiet
  "$R" report tasks --db "$TMP/$name.sqlite" --format json > "$dir/expected-tasks.json"
  "$R" report failures --db "$TMP/$name.sqlite" --format json > "$dir/expected-failures.json"
  echo "$name: $(du -sh "$dir/capture" | cut -f1)"
done
