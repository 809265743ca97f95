#!/usr/bin/env bash
# Benchmarks the three budgets of the test tiers and the synthesis, each the
# median of N runs on this machine, warm (module and build caches full):
#   go test -short ./... ./__tests__   the inner loop     <= 40 s wall, peak <= 1024 MiB
#   go test ./... ./__tests__          the whole proof    <= 180 s wall, peak <= 2048 MiB
#   synthesis of all stacks            / a one-resource app (the floor) <= 1.2
# Peak is the physical memory of the whole process tree (Node, terraform, the
# emulator included), sampled every 0.2 s: each process's PSS, summed, so a
# page that several processes map (every AWS provider process maps the same
# 700 MB binary) counts once. The RSS sum, which counts such a page once per
# process, is printed under it. Exits 1 when a row is over its budget, 2 when
# it could not measure (bad usage, a command failed, or a process's memory
# could not be read). For where the time goes: scripts/bench/profile.py.
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

# tree_peak CMD...: runs a command, sampling its process tree every 0.2 s
# (scripts/bench/treepeak.py); prints "seconds peak_rss_kib peak_pss_kib";
# fails when the command fails.
tree_peak() {
  if ! python3 scripts/bench/treepeak.py --out "$work/peak" "$@" >"$work/cmd.log" 2>&1; then
    echo "command failed: $*" >&2
    tail -30 "$work/cmd.log" >&2
    return 1
  fi
  cat "$work/peak"
}

# median VALUES...: their median (the middle one; of an even count, the lower).
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# median_of CMD...: the median wall time, peak RSS and peak PSS of $runs runs.
median_of() {
  local i walls=() rsss=() psss=() w r p
  for ((i = 0; i < runs; i++)); do
    read -r w r p < <(tree_peak "$@") && [[ -n "$p" ]] || exit 2
    walls+=("$w") rsss+=("$r") psss+=("$p")
  done
  echo "$(median "${walls[@]}")" "$(median "${rsss[@]}")" "$(median "${psss[@]}")"
}

mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }
info() { printf '  %s\n' "$1"; }

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
  read -r w _ < <(tree_peak "$work/floor" "$work/floor.out") && [[ -n "$w" ]] || exit 2
  floors+=("$w")
  read -r w _ < <(tree_peak "$work/synth" -out "$work/synth.out") && [[ -n "$w" ]] || exit 2
  synths+=("$w")
done
floor=$(median "${floors[@]}") synth=$(median "${synths[@]}")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); median of $runs runs, warm"
row "synthesis of all stacks / floor" "$(awk -v a="$synth" -v b="$floor" 'BEGIN {print a/b}')" 1.2 x
printf '  (all stacks %.2f s, one-resource floor %.2f s)\n' "$synth" "$floor"

if [[ " $tiers " == *" short "* ]]; then
  go test -short ./... ./__tests__ >/dev/null 2>&1 || true # warm the build cache
  read -r wall rss pss < <(median_of go test -short -count=1 ./... ./__tests__)
  row "go test -short ./... ./__tests__ wall" "$wall" 40 s
  row "go test -short ./... ./__tests__ peak" "$(mib "$pss")" 1024 MiB
  info "(its RSS summed: $(mib "$rss") MiB)"
fi
if [[ " $tiers " == *" full "* ]]; then
  go vet ./... ./__tests__ >/dev/null 2>&1 || true # warm the build cache (test binaries)
  read -r wall rss pss < <(median_of go test -count=1 ./... ./__tests__)
  row "go test ./... ./__tests__ wall" "$wall" 180 s
  row "go test ./... ./__tests__ peak" "$(mib "$pss")" 2048 MiB
  info "(its RSS summed: $(mib "$rss") MiB)"
fi
exit "$over"
