#!/usr/bin/env bash
# Usage: scripts/validate.sh <staging|production>
# Synthesizes (JSON, and from the same synthesis the HCL rendering that
# `npx cdktf synth --hcl` writes, into .hcl-rendering/; both are reused while
# they are newer than every input of the synthesis), then checks the
# environment's stack and its state-bootstrap stack with
# `terraform init -backend=false` (the committed lock file, read-only) and
# `terraform validate`, and the environment's HCL rendering with
# `terraform fmt` (which refuses unparsable HCL) and `validate`.
# Needs no AWS credentials. (The full proof, plans and the IAM simulator
# included, is the README's test command.)
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

env="${1:-}"
require_env "$env"
[ $# -eq 1 ] || die "usage: scripts/validate.sh <staging|production>"

synth_with_hcl_if_stale
hcl="$HCL_DIR"
use_terraform_cli_config
for stack in "$env" "state-bootstrap-$env"; do
  dir="$ROOT/cdktf.out/stacks/$stack"
  echo "== $stack"
  terraform_init "$dir" -backend=false >/dev/null
  terraform -chdir="$dir" validate -no-color
done

echo "== HCL rendering: terraform fmt and validate"
terraform fmt -recursive "$hcl/stacks/$env" >/dev/null || die "the HCL rendering of $env does not parse"
terraform_init "$hcl/stacks/$env" -backend=false >/dev/null
terraform -chdir="$hcl/stacks/$env" validate -no-color

echo "validate: $env is valid"
