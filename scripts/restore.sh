#!/usr/bin/env bash
# Usage: scripts/restore.sh <staging|production> <table> <time>
# Restores a table of the environment to a point in time, into a NEW table
# named <table>-restored-<yyyymmddThhmmssZ>, encrypted with the environment's
# key, and waits until it is ACTIVE. The source table is not touched, and
# Terraform does not manage the new table: switching the application over is
# the runbook's job (docs/operations.md, Restoring a table).
#   <table> a table name of the environment (its *_table_name outputs)
#   <time>  UTC, as 2026-12-01T09:30:00Z, within the table's recovery window
# It waits as long as the restore takes (hours for a large table), printing the
# table's status every RESTORE_POLL_SECONDS (default 30). GNU or BSD userland.
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"

env="${1:-}"
table="${2:-}"
time="${3:-}"
require_env "$env"
[ -n "$table" ] || die "no table given; usage: scripts/restore.sh $env <table> <time>"
# The time is checked and turned into the new table's suffix in bash alone:
# GNU and BSD date (macOS) differ in how they parse a given time.
utc_re='^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z$'
[[ "$time" =~ $utc_re ]] || die "time '$time' is not a UTC time like 2026-12-01T09:30:00Z"
year=$((10#${BASH_REMATCH[1]})) month=$((10#${BASH_REMATCH[2]})) day=$((10#${BASH_REMATCH[3]}))
hour=$((10#${BASH_REMATCH[4]})) minute=$((10#${BASH_REMATCH[5]})) second=$((10#${BASH_REMATCH[6]}))
days_in_month=(0 31 28 31 30 31 30 31 31 30 31 30 31)
if (( year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) )); then days_in_month[2]=29; fi
if (( month < 1 || month > 12 || day < 1 || day > days_in_month[month] || hour > 23 || minute > 59 || second > 59 )); then
  die "time '$time' is not a UTC time like 2026-12-01T09:30:00Z (no such date or time of day)"
fi
# Times in this form sort as strings; `date -u +FORMAT` is the same on GNU and BSD.
[[ ! "$time" > "$(date -u +%Y-%m-%dT%H:%M:%SZ)" ]] || die "time $time is in the future"

poll="${RESTORE_POLL_SECONDS:-30}"
[[ "$poll" =~ ^[1-9][0-9]*$ ]] || die "RESTORE_POLL_SECONDS='$poll' is not a whole number of seconds (the status poll's interval; default 30)"

use_terraform_cli_config
prepare "$env"
tables=()
for t in consent_table calibration_table fp_events_table block_counter_table; do
  tables+=("$(output_of "$env" "${t}_name")") || die "output ${t}_name of $env is missing: is $env deployed?"
done
known=" ${tables[*]} "
[[ "$known" == *" $table "* ]] || die "'$table' is not a table of $env; use one of:${known% }"
key="$(output_of "$env" kms_key_arn)"

target="$table-restored-${time//[-:]/}"
echo "restore: $table as of $time -> $target (encrypted with $key)"
aws dynamodb restore-table-to-point-in-time \
  --source-table-name "$table" --target-table-name "$target" \
  --restore-date-time "$time" \
  --sse-specification-override "Enabled=true,SSEType=KMS,KMSMasterKeyId=$key" \
  --query 'TableDescription.TableStatus' --output text
# A large restore takes hours, far longer than `aws dynamodb wait
# table-exists` waits (~8 min): wait as long as it takes, with progress.
wait_table_active "$target" "$poll"
echo "restore: next: compare it with $table, then follow docs/operations.md, Restoring a table (switch-over); Terraform does not manage $target"
