#!/usr/bin/env bash
# Usage: scripts/update-locks.sh
# Records the AWS provider that the stacks require (constructs/pins) in the
# committed lock files, locks/<stack>/.terraform.lock.hcl, with the checksums
# of every platform the team uses. Run it after changing pins.AWSProvider,
# review the diff, and commit it: every `terraform init` of the scripts, tests
# and workflows uses -lockfile=readonly and never changes a lock file itself.
# Online it asks the registry; offline (a machine whose TF_PROVIDER_MIRROR, by
# default /opt/tf-plugins, holds the provider) it can record this platform only
# and keeps the checksums already in the lock files.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

[ $# -eq 0 ] || die "usage: scripts/update-locks.sh (no arguments)"
synth_if_stale
use_terraform_cli_config
mirror="${TF_PROVIDER_MIRROR:-/opt/tf-plugins}"
if [ -d "$mirror/registry.terraform.io/hashicorp/aws" ]; then
  source_flags=(-fs-mirror="$mirror" -platform=linux_amd64)
else
  source_flags=(-platform=linux_amd64 -platform=linux_arm64 -platform=darwin_amd64 -platform=darwin_arm64 -platform=windows_amd64)
fi
for dir in "$ROOT"/cdktf.out/stacks/*/; do
  stack="$(basename "$dir")"
  terraform -chdir="$dir" providers lock -no-color "${source_flags[@]}" >/dev/null
  mkdir -p "$ROOT/locks/$stack"
  # An unchanged lock file keeps its time: the synthesis stays fresh.
  cmp -s "$dir/.terraform.lock.hcl" "$ROOT/locks/$stack/.terraform.lock.hcl" ||
    cp "$dir/.terraform.lock.hcl" "$ROOT/locks/$stack/.terraform.lock.hcl"
  echo "update-locks: $stack: $(grep -m 1 'version' "$ROOT/locks/$stack/.terraform.lock.hcl" | tr -s ' ')"
done
echo "update-locks: review the diff of locks/ and commit it"
