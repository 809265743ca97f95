#!/usr/bin/env bash
# Usage: scripts/drift.sh <staging|production> [extra terraform plan flags]
# Read-only drift check: synthesizes, then `terraform plan -detailed-exitcode
# -lock=false` against the environment's state (the plan role is enough). Its
# output is kept in plans/<env>.drift.txt; no plan file is written.
# Exit codes: 0 no drift, 2 drift (the changes are printed), 1 error.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

env="${1:-}"
require_env "$env"
shift

report="$PLAN_DIR/$env.drift.txt"
rm -f "$report"
synth_if_stale "$env" >/dev/null || die "synthesis of $env failed (run: go run .)"
require_remote_state "$env"
use_terraform_cli_config
dir="$(stack_dir "$env")"
mkdir -p "$PLAN_DIR"
terraform_init "$dir" >"$report" 2>&1 || {
  cat "$report" >&2
  die "terraform init of $env failed; drift was not checked"
}
code=0
terraform -chdir="$dir" plan -detailed-exitcode -lock=false -input=false -no-color "$@" >"$report" 2>&1 || code=$?
case "$code" in
0)
  echo "drift: $env: none (the resources match the configuration)"
  ;;
2)
  # The addresses and what would change, without the unchanged attributes.
  grep -E '^  # |^Plan:' "$report" || true
  echo "drift: $env: DRIFT: the resources differ from the configuration (full plan: $report)"
  ;;
*)
  tail -n 20 "$report" >&2
  echo "error: drift check of $env failed (exit $code; full output: $report)" >&2
  code=1
  ;;
esac
exit "$code"
