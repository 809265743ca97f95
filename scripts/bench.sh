#!/usr/bin/env bash
# Benchmarks against the budgets in DESIGN.md and prints ratios, so runs on
# different machines can be compared:
#   synth ratio  = synthesizing all stacks / synthesizing a one-resource app (budget <= 1.2)
#   test wall    = the README test command, warm, deploy drill included (budget <= 120 s)
#   test peak    = peak resident memory of the whole process tree, Node, terraform
#                  and the emulator included (budget <= 1536 MiB)
#   drill        = the deploy drill alone (go test ./drill), wall and peak, reported separately
# Usage: scripts/bench.sh [runs]   (runs of each synthesis, median reported; default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CHECKPOINT_DISABLE=1

work=.bench
rm -rf "$work" && mkdir -p "$work"
go build -o "$work/synth" . 
go build -o "$work/floor" ./scripts/bench/floor

now() { date +%s.%N; }

# median of the wall times of $runs runs of a command
median_time() {
  local times=() t0 t1
  for _ in $(seq "$runs"); do
    t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
    times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

# run a command, sampling the summed RSS of its process tree; prints "seconds peak_kib"
tree_peak() {
  local t0 t1 pid peak=0 rss
  t0=$(now)
  "$@" >"$work/cmd.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(ps -eo pid=,ppid=,rss= | awk -v root="$pid" '
      { parent[$1]=$2; mem[$1]=$3 }
      END { for (p in parent) { q=p; while (q != "" && q != 0 && q != root) q=parent[q]; if (q == root) sum += mem[p] } print sum+0 }')
    (( rss > peak )) && peak=$rss
    sleep 0.2
  done
  wait "$pid" || { echo "command failed: $*" >&2; tail -20 "$work/cmd.log" >&2; return 1; }
  t1=$(now)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}') $peak"
}

floor=$(median_time "$work/floor" "$work/floor.out")
synth=$(median_time "$work/synth" -out "$work/synth.out")
stacks=$(find "$work/synth.out/stacks" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort | tr '\n' ' ')
asset_bytes=$(find "$work/synth.out/stacks" -name '*.zip' -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}')

go test ./... ./__tests__ >/dev/null 2>&1 || true # warm the build cache
read -r test_wall test_peak < <(tree_peak go test -count=1 ./... ./__tests__)
read -r drill_wall drill_peak < <(tree_peak go test -count=1 ./drill)

awk -v floor="$floor" -v synth="$synth" -v wall="$test_wall" -v peak="$test_peak" -v dwall="$drill_wall" -v dpeak="$drill_peak" -v stacks="$stacks" -v assets="$asset_bytes" -v runs="$runs" 'BEGIN {
  printf "synth floor (1 stack, 1 resource): %6.2f s (median of %d)\n", floor, runs
  printf "synth all stacks (%s): %6.2f s\n", stacks, synth
  printf "synth ratio:        %5.2f x floor   (budget 1.20)  %s\n", synth/floor, (synth/floor <= 1.2 ? "ok" : "OVER")
  printf "test wall (warm):   %6.1f s        (budget 120)   %s  ratio %.2f\n", wall, (wall <= 120 ? "ok" : "OVER"), wall/120
  printf "test peak memory:   %6.0f MiB      (budget 1536)  %s  ratio %.2f\n", peak/1024, (peak/1024 <= 1536 ? "ok" : "OVER"), peak/1024/1536
  printf "drill alone:        %6.1f s, peak %6.0f MiB\n", dwall, dpeak/1024
  printf "lambda assets:      %6d bytes\n", assets
}'
