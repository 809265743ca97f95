#!/usr/bin/env bash
# Usage: scripts/plan.sh <staging|production> [extra terraform plan flags]
# Synthesizes, initializes the environment's backend and writes a plan file for
# review: plans/<env>.tfplan, its human-readable output (plans/<env>.tfplan.txt)
# and the digest of the configuration it was made from (plans/<env>.tfplan.sha256),
# which apply.sh checks. A failed plan leaves none of them behind (an older plan
# of the environment is removed first). Needs AWS credentials for the
# environment's account.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

env="${1:-}"
require_env "$env"
shift

plan="$PLAN_DIR/$env.tfplan"
rm -f "$plan" "$plan.sha256" "$plan.txt" "$plan.json"
synth_if_stale "$env"
require_remote_state "$env"
refuse_adoption_in_ci "$env"
use_terraform_cli_config
dir="$(stack_dir "$env")"
mkdir -p "$PLAN_DIR"
partial="$PLAN_DIR/.$env.tfplan.partial"
log="$PLAN_DIR/.$env.tfplan.txt.partial"
trap 'rm -f "$partial" "$log"' EXIT

first_error() { grep -m 1 -E '^(│ )?Error: ' "$1" | sed -E 's/^(│ )?Error: //' || true; }

if ! terraform_init "$dir" >"$log" 2>&1; then
  cat "$log" >&2
  die "terraform init of $env failed: $(first_error "$log"); no plan was written"
fi
if ! terraform -chdir="$dir" plan -input=false -no-color -out="$partial" "$@" 2>&1 | tee "$log"; then
  die "terraform plan of $env failed: $(first_error "$log"); no plan was written"
fi
mv "$log" "$plan.txt"
config_digest "$env" >"$plan.sha256.partial"
mv "$plan.sha256.partial" "$plan.sha256"
mv "$partial" "$plan"

summary="$(grep -E '^(Plan:|No changes\.)' "$plan.txt" | tail -n 1 || true)"
echo
echo "plan: $env: ${summary:-see $plan.txt}"
# Terraform's summary counts each object the plan deletes or replaces once in
# "N to destroy" (read from the text, not from a `show -json` of the plan: that
# is one more run of terraform, about 2 s, with the provider's check). Without
# a summary (flags such as -json change the output) the plan itself is read.
deletes="$(printf '%s\n' "$summary" | sed -nE 's/.* ([0-9]+) to destroy[.,].*/\1/p')"
if [ -z "$summary" ]; then
  command -v jq >/dev/null 2>&1 || die "jq is needed to count the deletions of a plan without a summary (apt-get install jq); the plan was written: $plan"
  deletes="$(terraform -chdir="$dir" show -json "$plan" | jq '[.resource_changes[]? | select(.change.actions | index("delete"))] | length')"
fi
[ "${deletes:-0}" -eq 0 ] || echo "plan: $env: WARNING: $deletes resource(s) would be destroyed or replaced; review them before applying"
echo "plan: apply exactly this plan with: scripts/apply.sh $env $plan"
