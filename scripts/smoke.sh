#!/usr/bin/env bash
# Usage: scripts/smoke.sh <staging|production>
# Read-only checks after a deploy (docs/operations.md, "After a deploy"): every table
# ACTIVE, encrypted with the environment's key and with point-in-time
# recovery; salt rotation enabled and the current salt a bare 64-hex value
# (read the application's way, through the SSM reference path; never
# printed); each alert topic with a confirmed subscription (pending ones are
# listed); every alarm of the state present with its topic as action.
# Exit codes: 0 every check passed, 1 a check failed, 2 the checks could not
# run (usage, synthesis, state or credentials).
set -euo pipefail
# shellcheck source=lib/common.sh
source "$(dirname "$0")/lib/common.sh"
die() {
  echo "error: $*" >&2
  exit 2
}

env="${1:-}"
require_env "$env"
use_terraform_cli_config
prepare "$env"
dir="$(stack_dir "$env")"
out() { output_of "$env" "$1" 2>/dev/null || die "output $1 of $env is missing: deploy $env first (scripts/plan.sh, scripts/apply.sh)"; }
aws sts get-caller-identity >/dev/null 2>&1 || die "no AWS credentials for $env's account (aws sts get-caller-identity failed)"

ok() { echo "ok    $*"; }
fail() { echo "FAIL  $*"; }
warn() { echo "warn  $*"; }

table_check() {
  local table="$1" status pitr
  status="$(aws dynamodb describe-table --table-name "$table" --query 'Table.[TableStatus,SSEDescription.KMSMasterKeyArn]' --output text 2>&1 || true)"
  pitr="$(aws dynamodb describe-continuous-backups --table-name "$table" --query 'ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus' --output text 2>&1 || true)"
  if [ "$status" = "ACTIVE	$key" ] && [ "$pitr" = "ENABLED" ]; then
    ok "table $table: ACTIVE, encrypted with $key, point-in-time recovery ENABLED"
  else
    fail "table $table: status and key '$status', point-in-time recovery '$pitr' (want ACTIVE with $key, ENABLED)"
  fi
}

rotation_check() {
  local rotation
  rotation="$(aws secretsmanager describe-secret --secret-id "$secret" --query RotationEnabled --output text 2>&1 || true)"
  if [ "$rotation" = "True" ]; then ok "salt secret: rotation enabled"; else fail "salt secret: rotation enabled is '$rotation' (want True; docs/architecture.md, HMAC salt and its rotation)"; fi
}

salt_check() {
  if aws ssm get-parameter --with-decryption --name "$salt_parameter" --query Parameter.Value --output text 2>/dev/null | grep -Eqx '[0-9a-f]{64}'; then
    ok "salt: the current version is a bare 64-hex value (read through the SSM reference path)"
  else
    fail "salt: the current version read through the SSM reference path is missing or not 64 lowercase hex characters (rotate it: docs/architecture.md, HMAC salt and its rotation)"
  fi
}

topic_check() {
  local severity="$1" topic="$2" subs confirmed pending
  subs="$(aws sns list-subscriptions-by-topic --topic-arn "$topic" --query 'Subscriptions[].[SubscriptionArn,Endpoint]' --output text 2>&1)" || {
    fail "topic $topic: $subs"
    return 0
  }
  confirmed="$(awk -F'\t' '$1 ~ /^arn:/' <<<"$subs" | wc -l || true)"
  pending="$(awk -F'\t' '$1 == "PendingConfirmation" { print $2 }' <<<"$subs" | paste -sd, -)"
  [ -z "$pending" ] || warn "topic $topic: subscriptions pending confirmation: $pending (each recipient must click the link AWS mailed)"
  if [ "$confirmed" -gt 0 ]; then ok "topic $topic: $confirmed confirmed subscription(s)"; else fail "topic $topic: no confirmed subscription: $severity alarms reach no one"; fi
}

alarms_check() {
  local want have
  want="$(terraform -chdir="$dir" state list | grep -c '^aws_cloudwatch_metric_alarm\.' || true)"
  have="$(aws cloudwatch describe-alarms --query "length(MetricAlarms[?ActionsEnabled && (contains(AlarmActions, '$critical') || contains(AlarmActions, '$warning'))])" --output text 2>&1 || true)"
  if [ "$have" = "$want" ]; then
    ok "alarms: $have of $want present, enabled, with an alert topic as action"
  else
    fail "alarms: $have with an alert topic as action, the state has $want"
  fi
}

# Every output first (a missing one stops here, exit 2); then the checks, which
# only read, run at once (each AWS call takes about a second) and print in
# this order.
key="$(out kms_key_arn)"
tables=()
for t in consent_table calibration_table fp_events_table block_counter_table; do tables+=("$(out "${t}_name")"); done
secret="$(out salt_secret_arn)"
salt_parameter="$(out anonymizer_salt_parameter_name)"
critical="$(out critical_alerts_topic_arn)"
warning="$(out warning_alerts_topic_arn)"

results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT
pids=()
check() {
  "$@" >"$results/${#pids[@]}" 2>&1 &
  pids+=("$!")
}
for table in "${tables[@]}"; do check table_check "$table"; done
check rotation_check
check salt_check
check topic_check critical "$critical"
check topic_check warning "$warning"
check alarms_check
for i in "${!pids[@]}"; do
  wait "${pids[$i]}" || echo "FAIL  check $((i + 1)) of ${#pids[@]} stopped: $(tail -n 1 "$results/$i")" >>"$results/$i"
  cat "$results/$i"
done

if grep -q '^FAIL' "$results"/*; then
  echo "smoke: $env: FAILED (see FAIL lines)"
  exit 1
fi
echo "smoke: $env: all checks passed"
