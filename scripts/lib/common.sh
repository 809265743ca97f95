# Shared by the scripts. Source it; do not run it.
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

# stack_dir STACK: the synthesized folder of a stack.
stack_dir() {
  echo "$ROOT/cdktf.out/stacks/$1"
}

# synth [-hcl DIR]: synthesizes every stack (refuses bad settings before
# writing anything); each stack folder gets its committed lock file from
# locks/<stack>/. With -hcl, also the HCL rendering into DIR/stacks/<stack>/.
synth() {
  (cd "$ROOT" && JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 CHECKPOINT_DISABLE=1 go run . "$@")
}

# HCL_DIR holds the HCL rendering of every stack, HCL_DIR/stacks/<stack>/cdk.tf
# (what `npx cdktf synth --hcl` writes), made by the same synthesis as
# cdktf.out (validate.sh, scan.sh).
HCL_DIR="$ROOT/.hcl-rendering"

# use_terraform_cli_config: the offline provider mirror when the machine has one.
use_terraform_cli_config() {
  TF_CLI_CONFIG_FILE="$("$ROOT/scripts/tf-cli-config.sh")"
  export TF_CLI_CONFIG_FILE CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1
}

# terraform_init DIR [flags]: init that installs exactly the locked provider and
# never changes the lock file (upgrading is scripts/update-locks.sh).
# It runs once per configuration: a folder initialized by an earlier run for
# the same inputs (its configuration, JSON or HCL, its lock file, the CLI
# configuration, the flags), whose provider is still in place, is not
# initialized again (each init reads the backend: a second or more). A
# synthesis starts the folder afresh, so its next script initializes it.
terraform_init() {
  local dir="$1" inputs stamp
  shift
  stamp="$dir/.terraform/.init-inputs"
  inputs="$({ cat "$dir"/*.tf.json "$dir"/*.tf "$dir/.terraform.lock.hcl" "${TF_CLI_CONFIG_FILE:-/dev/null}" 2>/dev/null || true; printf '%s\n' "$@"; } | sha256sum | cut -d' ' -f1)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ] &&
    [ -n "$(find -L "$dir/.terraform/providers" -type f -name 'terraform-provider-*' -print -quit 2>/dev/null)" ]; then
    echo "init: $dir is initialized for this configuration"
    return 0
  fi
  rm -f "$stamp"
  terraform -chdir="$dir" init -input=false -no-color -lockfile=readonly "$@" || return
  if [ -d "$dir/.terraform" ]; then printf '%s' "$inputs" >"$stamp"; fi
}

# backend_of STACK: the state backend of a synthesized stack ("local", "s3").
backend_of() {
  # cdktf writes the JSON indented: the backend's name is the key on the line
  # after "backend": {
  awk '/"backend": \{/ { getline; gsub(/[ "{:]/, ""); print; exit }' "$(stack_dir "$1")/cdk.tf.json"
}

# require_remote_state ENV: on a CI runner, refuses a stack whose state is
# local: the runner is thrown away after the job, and its state with it.
require_remote_state() {
  [ "${GITHUB_ACTIONS:-}" = "true" ] || [ "${REQUIRE_REMOTE_STATE:-}" = "true" ] || return 0
  local backend
  backend="$(backend_of "$1")"
  [ "$backend" != "local" ] || die "$1 keeps its Terraform state in a local file, which is lost with the CI runner; set \"state\": {\"backend\": \"s3\", ...} in environments/$1.json (docs/delivery.md, Switching an environment to remote state) before running this in a workflow"
}

# config_digest ENV: the SHA-256 of the synthesized configuration a plan was made from.
config_digest() {
  sha256sum "$(stack_dir "$1")/cdk.tf.json" | cut -d' ' -f1
}

# adopting ENV: true when the synthesized stack imports the HCL version's
# resources (settings: adopt.enabled).
adopting() {
  grep -q '^  "import": \[' "$(stack_dir "$1")/cdk.tf.json"
}

# refuse_adoption_in_ci ENV: an adoption plan holds what it imports (the
# nonce's value among them) in its prior state; it is made and applied on an
# administrator's machine, never uploaded as a workflow artifact.
refuse_adoption_in_ci() {
  [ "${GITHUB_ACTIONS:-}" = "true" ] || return 0
  if adopting "$1"; then
    die "environments/$1.json has adopt.enabled: adopting the HCL deployment runs from an administrator's machine (docs/operations.md, Adopting the HCL deployment), not in a workflow; set it to false once the adoption is applied"
  fi
}

# output_of ENV NAME: one output of the environment's state (the stack must
# be synthesized and initialized). After prepare ENV, string outputs come from
# the one `terraform output` it ran (each terraform command reads the state
# anew: about a second on S3); anything else from `terraform output -raw`.
output_of() {
  local line
  if [ "${_outputs_env:-}" = "$1" ]; then
    line="$(grep -m 1 -E "^$2 = \"" <<<"$_outputs" || true)"
    if [[ "$line" =~ ^[a-z0-9_]+\ =\ \"([^\"\\]*)\"$ ]]; then
      printf '%s' "${BASH_REMATCH[1]}"
      return 0
    fi
  fi
  terraform -chdir="$(stack_dir "$1")" output -raw "$2"
}

# fresh FILE...: true when every FILE exists and is newer than every input of
# the synthesis (settings, Go sources, go.mod and go.sum, locks). A synthesis
# is reproducible (tested): run again, it would write the same files.
fresh() {
  local f
  for f in "$@"; do
    [ -f "$f" ] && [ -z "$(find "$ROOT/environments" "$ROOT/app" "$ROOT/config" "$ROOT/constructs" "$ROOT/internal" \
      "$ROOT/lambda" "$ROOT/locks" "$ROOT/main.go" "$ROOT/go.mod" "$ROOT/go.sum" "$ROOT/cdktf.json" -newer "$f" -print -quit 2>/dev/null)" ] || return 1
  done
}

# all_stacks: every stack the synthesis writes.
all_stacks() {
  local env
  for env in "${ENVIRONMENTS[@]}"; do echo "$env" "state-bootstrap-$env"; done
}

# synth_if_stale [ENV]: synth, unless the synthesized JSON of the environment's
# stack (without ENV: of every stack) is fresh.
synth_if_stale() {
  local stack jsons=()
  for stack in ${1:-$(all_stacks)}; do jsons+=("$(stack_dir "$stack")/cdk.tf.json"); done
  if fresh "${jsons[@]}"; then
    echo "synth: cdktf.out is newer than every input; not synthesized again" >&2
    return 0
  fi
  synth
}

# synth_with_hcl_if_stale: synth, and the HCL rendering into HCL_DIR from the
# same synthesis, unless the JSON of every stack is fresh and the rendering
# was made from that JSON (HCL_DIR/.json-digest). A failed synthesis leaves no
# rendering behind.
synth_with_hcl_if_stale() {
  local stack jsons=() tmp
  for stack in $(all_stacks); do jsons+=("$(stack_dir "$stack")/cdk.tf.json"); done
  if fresh "${jsons[@]}" && [ "$(cat "$HCL_DIR/.json-digest" 2>/dev/null)" = "$(cat "${jsons[@]}" | sha256sum)" ]; then
    echo "synth: cdktf.out and its HCL rendering are newer than every input; not synthesized again" >&2
    return 0
  fi
  rm -rf "$HCL_DIR"
  tmp="$(mktemp -d "$HCL_DIR.XXXXXX")"
  if ! synth -hcl "$tmp"; then
    rm -rf "$tmp"
    return 1
  fi
  cat "${jsons[@]}" | sha256sum >"$tmp/.json-digest"
  mv "$tmp" "$HCL_DIR"
}

# prepare ENV: synthesize (when stale) and initialize the environment's stack
# quietly, for the read-only scripts that read its state, and read its
# outputs once (output_of).
prepare() {
  local log
  log="$(mktemp)"
  if ! synth_if_stale "$1" >"$log" 2>&1 || ! terraform_init "$(stack_dir "$1")" >>"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "could not synthesize and initialize $1 (output above)"
  fi
  rm -f "$log"
  _outputs="$(terraform -chdir="$(stack_dir "$1")" output -no-color 2>/dev/null || true)"
  _outputs_env="$1"
}

# wait_table_active TABLE SECONDS: polls a DynamoDB table every SECONDS until it
# is ACTIVE, however long that takes, printing its status and the time waited.
wait_table_active() {
  local table="$1" poll="$2" started=$SECONDS status waited
  while :; do
    status="$(aws dynamodb describe-table --table-name "$table" --query Table.TableStatus --output text)" ||
      die "cannot read $table's status; it may still be on its way: aws dynamodb describe-table --table-name $table"
    waited="$(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"
    case "$status" in
      ACTIVE)
        echo "restore: $table is ACTIVE (waited $waited)"
        return 0
        ;;
      CREATING | UPDATING) echo "restore: $table is $status after $waited; checking again in $poll s" ;;
      *) die "$table is $status, not CREATING or ACTIVE: look at it in the DynamoDB console" ;;
    esac
    sleep "$poll"
  done
}
