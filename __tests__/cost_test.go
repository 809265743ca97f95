package tests

import (
	"fmt"
	"strings"
	"testing"
)

// price is a unit price (us-east-1) and where it was read.
type price struct {
	usd    float64
	unit   string
	source string
}

// Prices used by the cost estimate. "verified" means read from AWS's pricing
// page (stored copy) during development; "third-party" from a published
// summary; "assumed" was not checked here. Check the AWS pricing pages before
// budgeting.
var prices = map[string]price{
	"kms_key":        {1.00, "key-month", "verified (KMS pricing page)"},
	"kms_requests":   {0.03, "10k requests beyond 20k free", "verified (KMS pricing page)"},
	"secret":         {0.40, "secret-month", "third-party summary"},
	"secret_calls":   {0.05, "10k API calls", "third-party summary"},
	"ddb_write":      {0.625, "million write request units", "third-party summary (after Nov 2024 cut)"},
	"ddb_read":       {0.125, "million read request units", "third-party summary (after Nov 2024 cut)"},
	"ddb_storage":    {0.25, "GB-month", "assumed"},
	"pitr":           {0.20, "GB-month", "third-party summary"},
	"alarm_metric":   {0.10, "alarm metric-month (10 free)", "verified (free tier: CloudWatch pricing page); rate third-party"},
	"dashboard":      {3.00, "dashboard-month (3 free)", "verified (free tier); rate third-party"},
	"logs_ingest":    {0.50, "GB ingested (5 GB free)", "third-party summary"},
	"custom_metric":  {0.30, "metric-month (10 free)", "third-party summary"},
	"lambda_request": {0.20, "million requests", "assumed"},
	"contributor":    {0.02, "100k events (per rule: assumed)", "assumed"},
}

// workload is the traffic an estimate assumes, per environment and month.
type workload struct {
	name                      string
	fpReports, queries        float64 // ingestions (1 consent read + 1 calibration write each), calibration queries (10 RRU each)
	saltReads                 float64 // GetSecretValue (cached per execution environment)
	storageGB, logsGB         float64
	lambdaInvocations         float64
	contributorInsightsEvents float64
}

var workloads = []workload{
	{"low traffic", 50_000, 10_000, 2_000, 1, 0.5, 60_000, 60_000},
	{"10x traffic", 500_000, 100_000, 20_000, 10, 5, 600_000, 600_000},
}

// costTable derives the estimate's quantities from the synthesized stack.
func costTable(t *testing.T, env string) string {
	t.Helper()
	s := stacks[env]
	alarmMetrics := 0
	for _, a := range s.All("aws_cloudwatch_metric_alarm") {
		if qs := a.Body.Objs("metric_query"); len(qs) > 0 {
			alarmMetrics += len(qs) - 1 // the expression is not billed as a metric
		} else {
			alarmMetrics++
		}
	}
	keys := s.Count("aws_kms_key")
	secrets := s.Count("aws_secretsmanager_secret")
	tables := s.Count("aws_dynamodb_table")
	dashboards := s.Count("aws_cloudwatch_dashboard")
	insights := s.Count("aws_dynamodb_contributor_insights")
	customMetrics := 3 // ConsentCheckFailures, AnonymizationErrors, FPIngestLatency with one Environment value

	var b strings.Builder
	fmt.Fprintf(&b, "| item | from the stack | unit price (USD) | %s | %s |\n|---|---|---|---|---|\n", workloads[0].name, workloads[1].name)
	totals := make([]float64, len(workloads))
	row := func(item, quantity string, p price, cost func(w workload) float64) {
		fmt.Fprintf(&b, "| %s | %s | %.3g per %s | ", item, quantity, p.usd, p.unit)
		for i, w := range workloads {
			c := cost(w)
			totals[i] += c
			fmt.Fprintf(&b, "%.2f | ", c)
		}
		b.WriteString("\n")
	}
	free := func(n, allowance float64) float64 { return max(0, n-allowance) }
	row("KMS keys", fmt.Sprintf("%d key", keys), prices["kms_key"], func(workload) float64 { return float64(keys) * prices["kms_key"].usd })
	row("KMS requests", "salt reads, table key refreshes", prices["kms_requests"], func(w workload) float64 {
		return free(w.saltReads+2*w.lambdaInvocations/100, 20_000) / 10_000 * prices["kms_requests"].usd
	})
	row("Secrets Manager secret", fmt.Sprintf("%d secret", secrets), prices["secret"], func(workload) float64 { return float64(secrets) * prices["secret"].usd })
	row("Secrets Manager calls", "salt reads + ~70 rotation/age-check calls", prices["secret_calls"], func(w workload) float64 {
		return (w.saltReads + 70) / 10_000 * prices["secret_calls"].usd
	})
	row("DynamoDB writes (on-demand)", fmt.Sprintf("%d tables", tables), prices["ddb_write"], func(w workload) float64 { return w.fpReports / 1e6 * prices["ddb_write"].usd })
	row("DynamoDB reads (on-demand)", "consent reads + 10 RRU per query", prices["ddb_read"], func(w workload) float64 {
		return (w.fpReports + 10*w.queries) / 1e6 * prices["ddb_read"].usd
	})
	row("DynamoDB storage", "all tables", prices["ddb_storage"], func(w workload) float64 { return w.storageGB * prices["ddb_storage"].usd })
	row("Point-in-time recovery", fmt.Sprintf("%d tables", tables), prices["pitr"], func(w workload) float64 { return w.storageGB * prices["pitr"].usd })
	row("CloudWatch alarms", fmt.Sprintf("%d alarm metrics", alarmMetrics), prices["alarm_metric"], func(workload) float64 {
		return free(float64(alarmMetrics), 10) * prices["alarm_metric"].usd
	})
	row("CloudWatch dashboard", fmt.Sprintf("%d dashboard", dashboards), prices["dashboard"], func(workload) float64 {
		return free(float64(dashboards), 3) * prices["dashboard"].usd
	})
	row("Custom metrics", fmt.Sprintf("%d metrics", customMetrics), prices["custom_metric"], func(workload) float64 {
		return free(float64(customMetrics), 10) * prices["custom_metric"].usd
	})
	row("Logs ingestion", fmt.Sprintf("%d log groups", s.Count("aws_cloudwatch_log_group")), prices["logs_ingest"], func(w workload) float64 {
		return free(w.logsGB, 5) * prices["logs_ingest"].usd
	})
	row("Lambda requests", "ingestion + query + rotator", prices["lambda_request"], func(w workload) float64 { return w.lambdaInvocations / 1e6 * prices["lambda_request"].usd })
	row("Contributor Insights", fmt.Sprintf("%d rules", insights), prices["contributor"], func(w workload) float64 {
		return float64(insights) * w.contributorInsightsEvents / 100_000 * prices["contributor"].usd
	})
	fmt.Fprintf(&b, "| **total per environment** | | | **%.2f** | **%.2f** |\n", totals[0], totals[1])
	return b.String()
}

func costSection(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(costTable(t, "production"))
	b.WriteString("\nPrices and their sources:\n\n| price | source |\n|---|---|\n")
	for _, k := range sortedCopy(keysOf(prices)) {
		fmt.Fprintf(&b, "| `%s`: %.3g per %s | %s |\n", k, prices[k].usd, prices[k].unit, prices[k].source)
	}
	return b.String()
}

func keysOf[V any](m map[string]V) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestReadmeCostEstimateIsDerivedFromTheStacks keeps the cost table of docs/cost.md equal
// to the estimate computed from the synthesized resources.
func TestReadmeCostEstimateIsDerivedFromTheStacks(t *testing.T) {
	if costTable(t, "staging") != costTable(t, "production") {
		t.Error("staging and production differ in billed resources; show both in docs/cost.md")
	}
	want := costSection(t)
	readmeSection(t, "cost", want)
}
