#!/usr/bin/env bash
# Usage: scripts/apply.sh <staging|production> <planfile>
# Applies exactly the reviewed plan file, never a new plan. Refuses a plan made
# from another configuration than the one synthesized now, and (Terraform
# itself) a plan whose state changed since. Production asks for the environment
# name to be typed, unless CI_APPROVED=true is set by a workflow whose job ran
# in the GitHub environment "production" (required reviewers).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

env="${1:-}"
require_env "$env"
plan="${2:-}"
[ $# -eq 2 ] || die "usage: scripts/apply.sh <staging|production> <planfile> (make one with scripts/plan.sh $env)"
[ -f "$plan" ] || die "plan file '$plan' does not exist; make one with scripts/plan.sh $env"
[ -f "$plan.sha256" ] || die "'$plan.sha256' is missing: only plans made by scripts/plan.sh can be applied"
plan="$(cd "$(dirname "$plan")" && pwd)/$(basename "$plan")"

if [ "$env" = "production" ] && [ "${CI_APPROVED:-}" != "true" ]; then
  printf 'Apply %s to PRODUCTION? Type "production" to continue: ' "$plan" >&2
  read -r answer || answer=""
  [ "$answer" = "production" ] || die "not confirmed; nothing was applied"
fi

synth_if_stale "$env"
require_remote_state "$env"
refuse_adoption_in_ci "$env"
expected="$(cat "$plan.sha256")"
actual="$(config_digest "$env")"
[ "$expected" = "$actual" ] || die "stale plan: it was made from another configuration than the one synthesized now (plan $expected, now $actual); run scripts/plan.sh $env again and review it"

use_terraform_cli_config
dir="$(stack_dir "$env")"
terraform_init "$dir" >/dev/null
terraform -chdir="$dir" apply -input=false -no-color "$plan"
echo "apply: $env: applied $plan"
