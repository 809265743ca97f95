#!/usr/bin/env bash
# Usage: scripts/scan.sh [--install]
# Offline IaC scan with trivy of the synthesized Terraform JSON and of its HCL
# rendering (the same as npx cdktf synth --hcl, from the same synthesis; trivy
# misreads some nested blocks in JSON). Synthesizes as validate.sh does: both
# are reused while they are newer than every input of the synthesis.
# Builds trivy once (several minutes) into $FP_TOOLS_DIR/bin, by default
# ~/.cache/fp-calibration-infra/bin, shared by every clone on the machine;
# --install only builds it. Fails on any HIGH or CRITICAL finding, and on any
# finding not fixed or ignored with a reason in .trivyignore.yaml. Needs no
# network beyond the Go module proxy.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

case "${1:-}" in
  "" | --install) ;;
  *) die "usage: scripts/scan.sh [--install]" ;;
esac
TRIVY_VERSION="v0.74.0"
tools="${FP_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fp-calibration-infra}"
trivy="$tools/bin/trivy"
stamp="$tools/bin/trivy.version"
if [ ! -x "$trivy" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$TRIVY_VERSION" ]; then
  echo "scan: building trivy $TRIVY_VERSION into $tools/bin (once; takes minutes)" >&2
  mkdir -p "$tools/bin"
  GOEXPERIMENT=jsonv2 GOBIN="$tools/bin" go install "github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION"
  echo "$TRIVY_VERSION" >"$stamp"
fi
if [ "${1:-}" = "--install" ]; then
  echo "scan: trivy $TRIVY_VERSION is at $trivy"
  exit 0
fi
command -v jq >/dev/null 2>&1 || die "jq is needed to count findings (apt-get install jq)"

reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
synth_with_hcl_if_stale
hcl="$HCL_DIR"

status=0
for target in "json:$ROOT/cdktf.out/stacks" "hcl:$hcl/stacks"; do
  name="${target%%:*}"
  dir="${target#*:}"
  "$trivy" config --skip-check-update --quiet --ignorefile "$ROOT/.trivyignore.yaml" \
    --format json --output "$reports/$name.json" "$dir"
  counts="$(jq -r '[.Results[]?.Misconfigurations[]? | select(.Status == "FAIL") | .Severity] as $s
    | "CRITICAL=\([$s[] | select(. == "CRITICAL")] | length) HIGH=\([$s[] | select(. == "HIGH")] | length) MEDIUM=\([$s[] | select(. == "MEDIUM")] | length) LOW=\([$s[] | select(. == "LOW")] | length)"' "$reports/$name.json")"
  echo "scan: $name: $counts (after .trivyignore.yaml)"
  jq -r '.Results[]? | .Target as $t | .Misconfigurations[]? | select(.Status == "FAIL") | "  \(.Severity) \(.ID) \($t): \(.Title)"' "$reports/$name.json"
  case "$counts" in
    "CRITICAL=0 HIGH=0 MEDIUM=0 LOW=0") ;;
    *) status=1 ;;
  esac
done
[ "$status" -eq 0 ] || die "findings remain: fix them, or ignore them in .trivyignore.yaml with a statement"
echo "scan: no findings left (trivy $TRIVY_VERSION, offline, embedded checks)"
