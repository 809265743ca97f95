#!/usr/bin/env bash
# Usage: scripts/validate.sh <staging|production>
# Synthesizes, then checks the environment's stack and its state-bootstrap stack
# with `terraform init -backend=false` (the committed lock file, read-only) and
# `terraform validate`; when the cdktf CLI is installed, also renders the stack
# as HCL, formats it with `terraform fmt` (which refuses unparsable HCL) and
# validates that rendering too. Needs no AWS credentials. (The full proof,
# plans and the IAM simulator included, is the README's test command.)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

env="${1:-}"
require_env "$env"
[ $# -eq 1 ] || die "usage: scripts/validate.sh <staging|production>"

synth
use_terraform_cli_config
for stack in "$env" "state-bootstrap-$env"; do
  dir="$ROOT/cdktf.out/stacks/$stack"
  echo "== $stack"
  terraform_init "$dir" -backend=false >/dev/null
  terraform -chdir="$dir" validate -no-color
done

if [ -x "$ROOT/node_modules/.bin/cdktf" ]; then
  echo "== HCL rendering: terraform fmt and validate"
  hcl="$(mktemp -d)"
  trap 'rm -rf "$hcl"' EXIT
  (cd "$ROOT" && JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 npx --no-install cdktf synth --hcl --output "$hcl" >/dev/null)
  terraform fmt -recursive "$hcl/stacks/$env" >/dev/null || die "the HCL rendering of $env does not parse"
  terraform_init "$hcl/stacks/$env" -backend=false >/dev/null
  terraform -chdir="$hcl/stacks/$env" validate -no-color
fi

echo "validate: $env is valid"
