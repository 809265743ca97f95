# Shared by validate.sh, plan.sh and apply.sh. Source it; do not run it.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ENVIRONMENTS=(staging production)
# shellcheck disable=SC2034 # used by the scripts that source this file
PLAN_DIR="$ROOT/plans"

die() {
  echo "error: $*" >&2
  exit 1
}

# require_env NAME: refuses anything but a known environment.
require_env() {
  local env="${1:-}" known
  [ -n "$env" ] || die "no environment given; use one of: ${ENVIRONMENTS[*]}"
  for known in "${ENVIRONMENTS[@]}"; do
    [ "$env" = "$known" ] && return 0
  done
  die "unknown environment '$env'; use one of: ${ENVIRONMENTS[*]}"
}

# stack_dir ENV: the synthesized stack folder of an environment.
stack_dir() {
  echo "$ROOT/cdktf.out/stacks/$1"
}

# synth: synthesizes every stack (refuses bad settings before writing anything).
synth() {
  (cd "$ROOT" && JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CHECKPOINT_DISABLE=1 go run .)
}

# use_terraform_cli_config: the offline provider mirror when the machine has one.
use_terraform_cli_config() {
  TF_CLI_CONFIG_FILE="$("$ROOT/scripts/tf-cli-config.sh")"
  export TF_CLI_CONFIG_FILE CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
}

# config_digest ENV: the SHA-256 of the synthesized configuration a plan was made from.
config_digest() {
  sha256sum "$(stack_dir "$1")/cdk.tf.json" | cut -d' ' -f1
}
