#!/usr/bin/env bash
# Usage: scripts/plan.sh <staging|production> [extra terraform plan flags]
# Synthesizes, initializes the environment's backend and writes a plan file for
# review: plans/<env>.tfplan, its JSON (plans/<env>.tfplan.json) and the digest
# of the configuration it was made from (plans/<env>.tfplan.sha256), which
# apply.sh checks. Needs AWS credentials for the environment's account.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

env="${1:-}"
require_env "$env"
shift

synth
use_terraform_cli_config
dir="$(stack_dir "$env")"
mkdir -p "$PLAN_DIR"
plan="$PLAN_DIR/$env.tfplan"

terraform -chdir="$dir" init -input=false -no-color >/dev/null
terraform -chdir="$dir" plan -input=false -no-color -out="$plan" "$@" | tee "$PLAN_DIR/$env.tfplan.txt"
terraform -chdir="$dir" show -json "$plan" >"$plan.json"
config_digest "$env" >"$plan.sha256"

summary="$(grep -E '^(Plan:|No changes\.)' "$PLAN_DIR/$env.tfplan.txt" | tail -n 1 || true)"
echo
echo "plan: $env: ${summary:-see $PLAN_DIR/$env.tfplan.txt}"
if command -v jq >/dev/null 2>&1; then
  deletes="$(jq '[.resource_changes[]? | select(.change.actions | index("delete"))] | length' "$plan.json")"
  [ "$deletes" -eq 0 ] || echo "plan: $env: WARNING: $deletes resource(s) would be destroyed or replaced; review them before applying"
fi
echo "plan: apply exactly this plan with: scripts/apply.sh $env $plan"
