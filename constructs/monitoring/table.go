package monitoring

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// comparisons spells CloudWatch's comparison operators.
var comparisons = map[string]string{
	"GreaterThanThreshold": ">", "GreaterThanOrEqualToThreshold": "≥", "LessThanThreshold": "<", "LessThanOrEqualToThreshold": "≤",
}

// AlarmTable is the table of an environment's alarms (docs/architecture.md),
// one row per alarm, generated from the specs the stack is built from (so the two cannot
// disagree). Names are shown without "<project>-" and "-<env>".
func AlarmTable(n names.Env, specs []AlarmSpec) string {
	var b strings.Builder
	b.WriteString("| alarm (`" + n.Project + "-…-<env>`) | metric | fires when | severity | missing data | runbook |\n|---|---|---|---|---|---|\n")
	for _, s := range specs {
		what := strings.TrimSuffix(strings.TrimPrefix(s.Name, n.Project+"-"), "-"+n.Environment)
		missing := "not breaching"
		if s.MissingData == "breaching" {
			missing = "**breaching**"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | `docs/runbooks/%s.md` |\n", what, s.metricText(), s.firesWhen(), s.Severity, missing, s.Runbook)
	}
	return b.String()
}

func (a AlarmSpec) metricText() string {
	if a.Metric != nil {
		return a.Metric.text()
	}
	ids := slices.Sorted(maps.Keys(a.Inputs))
	var ops []string
	for _, id := range ids {
		ops = append(ops, a.Inputs[id].Dimensions["Operation"])
	}
	first := a.Inputs[ids[0]]
	return fmt.Sprintf("`%s` of %d metrics: `%s` `%s` per `Operation` (%s), `TableName`", a.Expression, len(ids), first.Namespace, first.Name, strings.Join(ops, ", "))
}

func (m MetricRef) text() string {
	return fmt.Sprintf("`%s` `%s`, %s", m.Namespace, m.Name, dimensionsText(m.Dimensions))
}

func dimensionsText(d map[string]string) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(d)) {
		out = append(out, "`"+k+"`")
	}
	return strings.Join(out, " + ")
}

func (a AlarmSpec) firesWhen() string {
	stat, unit := "sum", ""
	if a.Metric != nil {
		stat = a.Metric.Stat
		if strings.HasSuffix(a.Metric.Name, "Duration") || strings.HasSuffix(a.Metric.Name, "Latency") {
			unit = " ms"
		}
	}
	window := fmt.Sprintf("%d min", a.Period/60)
	if a.Period%3600 == 0 {
		window = fmt.Sprintf("%d h", a.Period/3600)
	}
	return fmt.Sprintf("%s %s %g%s in %d of %d × %s", stat, comparisons[a.Comparison], a.Threshold, unit, a.ToAlarm, a.Evaluation, window)
}
