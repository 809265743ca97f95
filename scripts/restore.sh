#!/usr/bin/env bash
# Usage: scripts/restore.sh <staging|production> <table> <time>
# Restores a table of the environment to a point in time, into a NEW table
# named <table>-restored-<yyyymmddThhmmssZ>, encrypted with the environment's
# key, and waits until it is ACTIVE. The source table is not touched, and
# Terraform does not manage the new table: switching the application over is
# the runbook's job (docs/operations.md, Restoring a table).
#   <table> a table name of the environment (its *_table_name outputs)
#   <time>  UTC, as 2026-12-01T09:30:00Z, within the table's recovery window
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

env="${1:-}"
table="${2:-}"
time="${3:-}"
require_env "$env"
[ -n "$table" ] || die "no table given; usage: scripts/restore.sh $env <table> <time>"
if ! [[ "$time" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] || ! date -u -d "$time" >/dev/null 2>&1; then
  die "time '$time' is not a UTC time like 2026-12-01T09:30:00Z"
fi
[ "$(date -u -d "$time" +%s)" -le "$(date -u +%s)" ] || die "time $time is in the future"

use_terraform_cli_config
prepare "$env"
tables=()
for t in consent_table calibration_table fp_events_table block_counter_table; do
  tables+=("$(output_of "$env" "${t}_name")") || die "output ${t}_name of $env is missing: is $env deployed?"
done
known=" ${tables[*]} "
[[ "$known" == *" $table "* ]] || die "'$table' is not a table of $env; use one of:${known% }"
key="$(output_of "$env" kms_key_arn)"

target="$table-restored-$(date -u -d "$time" +%Y%m%dT%H%M%SZ)"
echo "restore: $table as of $time -> $target (encrypted with $key)"
aws dynamodb restore-table-to-point-in-time \
  --source-table-name "$table" --target-table-name "$target" \
  --restore-date-time "$time" \
  --sse-specification-override "Enabled=true,SSEType=KMS,KMSMasterKeyId=$key" \
  --query 'TableDescription.TableStatus' --output text
aws dynamodb wait table-exists --table-name "$target"
echo "restore: $target is $(aws dynamodb describe-table --table-name "$target" --query Table.TableStatus --output text)"
echo "restore: next: compare it with $table, then follow docs/operations.md, Restoring a table (switch-over); Terraform does not manage $target"
