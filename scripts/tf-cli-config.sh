#!/usr/bin/env bash
# Writes a Terraform CLI configuration that installs the AWS provider from the
# local filesystem mirror when the machine has one (offline machines, CI), and
# from the registry otherwise, through a plugin cache shared by every stack
# folder (and from a packed mirror of zip files, which init would otherwise
# unpack into each folder); prints the file's path. (From an unpacked mirror,
# init links each folder to the mirror itself: a plugin cache there would only
# add a copy and a third hash of the 700 MB provider to every init, 0.5 s
# each.) Usage:
#   export TF_CLI_CONFIG_FILE="$(scripts/tf-cli-config.sh)"
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mirror="${TF_PROVIDER_MIRROR:-/opt/tf-plugins}"
dir="$root/.terraform-cli"
mkdir -p "$dir"
config="$dir/config.tfrc"
# Scripts of one checkout may run at once (restore.sh beside drift.sh): each
# writes a file of its own and renames it over the config, which is atomic.
tmp="$(mktemp "$config.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

aws="$mirror/registry.terraform.io/hashicorp/aws"
{
  echo "disable_checkpoint = true"
  if [ ! -d "$aws" ] || compgen -G "$aws/*.zip" >/dev/null; then
    mkdir -p "$dir/plugin-cache"
    echo "plugin_cache_dir = \"$dir/plugin-cache\""
  fi
  if [ -d "$aws" ]; then
    echo "provider_installation {"
    echo "  filesystem_mirror {"
    echo "    path    = \"$mirror\""
    echo "    include = [\"registry.terraform.io/hashicorp/aws\"]"
    echo "  }"
    echo "  direct {"
    echo "    exclude = [\"registry.terraform.io/hashicorp/aws\"]"
    echo "  }"
    echo "}"
  else
    echo "provider_installation {"
    echo "  direct {}"
    echo "}"
  fi
} >"$tmp"
chmod 644 "$tmp"
mv "$tmp" "$config"
echo "$config"
