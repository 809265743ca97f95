#!/usr/bin/env bash
# Writes a Terraform CLI configuration that installs the AWS provider from the
# local filesystem mirror when the machine has one (offline machines, CI), and
# from the registry otherwise; prints the file's path. Usage:
#   export TF_CLI_CONFIG_FILE="$(scripts/tf-cli-config.sh)"
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mirror="${TF_PROVIDER_MIRROR:-/opt/tf-plugins}"
dir="$root/.terraform-cli"
mkdir -p "$dir/plugin-cache"
config="$dir/config.tfrc"

{
  echo "plugin_cache_dir = \"$dir/plugin-cache\""
  echo "disable_checkpoint = true"
  echo "provider_installation {"
  if [ -d "$mirror/registry.terraform.io/hashicorp/aws" ]; then
    echo "  filesystem_mirror {"
    echo "    path    = \"$mirror\""
    echo "    include = [\"registry.terraform.io/hashicorp/aws\"]"
    echo "  }"
    echo "  direct {"
    echo "    exclude = [\"registry.terraform.io/hashicorp/aws\"]"
    echo "  }"
  else
    echo "  direct {}"
  fi
  echo "}"
} >"$config.tmp"
mv "$config.tmp" "$config"
echo "$config"
