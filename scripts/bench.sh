#!/usr/bin/env bash
# Benchmarks the three budgets of the test tiers and the synthesis, each the
# median of N runs on this machine, warm (module and build caches full):
#   go test -short ./... ./__tests__   the inner loop     <= 40 s wall, peak <= 1024 MiB
#   go test ./... ./__tests__          the whole proof    <= 180 s wall, peak <= 2048 MiB
#   synthesis of all stacks            / a one-resource app (the floor) <= 1.2
# Peak is the summed resident memory of the whole process tree (Node,
# terraform, the emulator included), sampled every 0.2 s. Exits 1 when a row
# is over its budget. For where the time goes: scripts/bench/profile.py.
# Usage: scripts/bench.sh [runs]   (default 3; the full tier takes minutes a run)
#        BENCH_TIERS=short scripts/bench.sh 3   (only the inner loop and the synthesis)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "error: runs '$runs' is not a positive whole number" >&2; exit 2; }
tiers="${BENCH_TIERS:-short full}"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CHECKPOINT_DISABLE=1

work=.bench
rm -rf "$work" && mkdir -p "$work"
go build -o "$work/synth" .
go build -o "$work/floor" ./scripts/bench/floor

now() { date +%s.%N; }

# tree_peak CMD...: runs a command, sampling the summed RSS of its process
# tree; prints "seconds peak_kib"; fails when the command fails.
tree_peak() {
  local t0 t1 pid peak=0 rss
  t0=$(now)
  "$@" >"$work/cmd.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(ps -eo pid=,ppid=,rss= | awk -v root="$pid" '
      { parent[$1]=$2; mem[$1]=$3 }
      END { for (p in parent) { q=p; while (q != "" && q != 0 && q != root) q=parent[q]; if (q == root) sum += mem[p] } print sum+0 }')
    ((rss > peak)) && peak=$rss
    sleep 0.2
  done
  wait "$pid" || { echo "command failed: $*" >&2; tail -30 "$work/cmd.log" >&2; return 1; }
  t1=$(now)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}') $peak"
}

# median VALUES...: their median (the middle one; of an even count, the lower).
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# median_of CMD...: the median wall time and the median peak of $runs runs.
median_of() {
  local i walls=() peaks=() w p
  for ((i = 0; i < runs; i++)); do
    read -r w p < <(tree_peak "$@")
    walls+=("$w") peaks+=("$p")
  done
  echo "$(median "${walls[@]}")" "$(median "${peaks[@]}")"
}

over=0
row() { # name value budget unit
  local verdict=ok
  awk -v v="$2" -v b="$3" 'BEGIN {exit !(v > b)}' && verdict=OVER && over=1
  printf '%-40s %9.2f %-4s budget %7.2f %-4s %s\n' "$1" "$2" "$4" "$3" "$4" "$verdict"
}

# The floor and the real app alternate, so a machine that slows down for a
# while (this one varies by a third from run to run) slows both alike.
floors=() synths=()
for ((i = 0; i < runs; i++)); do
  read -r w _ < <(tree_peak "$work/floor" "$work/floor.out")
  floors+=("$w")
  read -r w _ < <(tree_peak "$work/synth" -out "$work/synth.out")
  synths+=("$w")
done
floor=$(median "${floors[@]}") synth=$(median "${synths[@]}")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); median of $runs runs, warm"
row "synthesis of all stacks / floor" "$(awk -v a="$synth" -v b="$floor" 'BEGIN {print a/b}')" 1.2 x
printf '  (all stacks %.2f s, one-resource floor %.2f s)\n' "$synth" "$floor"

if [[ " $tiers " == *" short "* ]]; then
  go test -short ./... ./__tests__ >/dev/null 2>&1 || true # warm the build cache
  read -r wall peak < <(median_of go test -short -count=1 ./... ./__tests__)
  row "go test -short ./... ./__tests__ wall" "$wall" 40 s
  row "go test -short ./... ./__tests__ peak" "$(awk -v k="$peak" 'BEGIN {print k/1024}')" 1024 MiB
fi
if [[ " $tiers " == *" full "* ]]; then
  go vet ./... ./__tests__ >/dev/null 2>&1 || true # warm the build cache (test binaries)
  read -r wall peak < <(median_of go test -count=1 ./... ./__tests__)
  row "go test ./... ./__tests__ wall" "$wall" 180 s
  row "go test ./... ./__tests__ peak" "$(awk -v k="$peak" 'BEGIN {print k/1024}')" 2048 MiB
fi
exit "$over"
