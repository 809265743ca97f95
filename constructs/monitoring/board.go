package monitoring

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/phase-mirror/fp-calibration-infra/constructs/monitoring/dashboard"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// DashboardBody builds the environment's dashboard: alarm status, table
// capacity and throttles, Lambda invocations, errors and duration, the
// application's custom metrics, and a Logs Insights widget of recent errors.
func DashboardBody(p Props, specs []AlarmSpec) (string, error) {
	var b dashboard.Builder
	markers, err := alarmMarkers(specs)
	if err != nil {
		return "", err
	}
	metric := func(title, stat string, metrics []dashboard.Metric, lines ...dashboard.Marker) dashboard.MetricProperties {
		props := dashboard.MetricProperties{Title: title, Region: p.Names.Region, View: "timeSeries", Period: 300, Stat: stat, Metrics: metrics}
		if len(lines) > 0 {
			props.Annotations = &dashboard.HorizontalMarker{Horizontal: lines}
		}
		return props
	}
	perTable := func(names ...string) []dashboard.Metric {
		out := []dashboard.Metric{}
		for _, t := range p.Tables {
			for _, n := range names {
				out = append(out, dashboard.Metric{Namespace: "AWS/DynamoDB", Name: n, Dimensions: [][2]string{{"TableName", t.Name}}, Label: t.Short + " " + n})
			}
		}
		return out
	}
	perFunction := func(stat string, names ...string) []dashboard.Metric {
		out := []dashboard.Metric{}
		for _, f := range p.Functions {
			for _, n := range names {
				out = append(out, dashboard.Metric{Namespace: "AWS/Lambda", Name: n, Dimensions: [][2]string{{"FunctionName", f.Name}}, Stat: stat, Label: f.Short + " " + n})
			}
		}
		return out
	}
	custom := func(name, stat string) dashboard.Metric {
		return dashboard.Metric{Namespace: names.MetricNamespace, Name: name, Dimensions: [][2]string{{"Environment", p.Names.Environment}}, Stat: stat, Label: name + " (" + stat + ")"}
	}
	var alarmArns []string
	runbooks := map[string]bool{}
	for _, s := range specs {
		alarmArns = append(alarmArns, p.Names.AlarmARN(s.Name))
		runbooks[s.Runbook] = true
	}
	var links []string
	for r := range runbooks {
		links = append(links, "`docs/runbooks/"+r+".md`")
	}
	sort.Strings(links)

	// One line: a newline in the body survives the JSON but not cdktf's HCL rendering.
	b.Add("text", 24, 2, dashboard.TextProperties{Markdown: fmt.Sprintf("**FP Calibration Service — %s** · %d alarms · runbooks: %s", p.Names.Environment, len(specs), strings.Join(links, ", "))})
	b.Add("alarm", 24, 4, dashboard.AlarmProperties{Title: "Alarm status", Alarms: alarmArns})
	b.Add("metric", 12, 6, metric("DynamoDB consumed capacity", "Sum", perTable("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits")))
	b.Add("metric", 12, 6, metric("DynamoDB throttled requests", "Sum", perTable("ReadThrottleEvents", "WriteThrottleEvents")))
	b.Add("metric", 12, 6, metric("Lambda invocations and errors", "Sum", perFunction("Sum", "Invocations", "Errors", "Throttles")))
	b.Add("metric", 12, 6, metric("Lambda duration (p99, ms)", "p99", perFunction("p99", "Duration")))
	b.Add("metric", 12, 6, metric("Consent check failures and anonymization errors", "Sum",
		[]dashboard.Metric{custom(ConsentCheckFailures, "Sum"), custom(AnonymizationErrors, "Sum")},
		markers["anonymization alarm"], markers["consent alarm"]))
	b.Add("metric", 12, 6, metric("FP ingest latency (ms)", "Average",
		[]dashboard.Metric{custom(FPIngestLatency, "Average"), custom(FPIngestLatency, "p99")},
		markers["latency alarm"]))
	var sources []string
	for _, f := range p.Functions {
		sources = append(sources, "'"+names.LogGroup(f.Name)+"'")
	}
	b.Add("log", 24, 6, dashboard.LogProperties{
		Title: "Recent errors (all functions)", Region: p.Names.Region, View: "table",
		Query: "SOURCE " + strings.Join(sources, " | SOURCE ") + " | " + errorsQuery + " | sort @timestamp desc | limit 50",
	})
	return b.Body()
}

// errorsQuery selects error lines of the service's functions.
const errorsQuery = `fields @timestamp, @log, @message | filter @message like /(?i)(error|fail|panic|task timed out)/`

// SavedQuery is a CloudWatch Logs Insights query definition.
type SavedQuery struct {
	ID, Name, Query string
	LogGroups       []string
}

// SavedQueries are the saved Logs Insights queries of the environment.
func SavedQueries(p Props) []SavedQuery {
	var all []string
	for _, short := range slices.Sorted(maps.Keys(p.LogGroups)) {
		all = append(all, p.LogGroups[short])
	}
	return []SavedQuery{
		{ID: "errors_by_function", Name: p.Names.SavedQuery("errors-by-function"), LogGroups: all,
			Query: errorsQuery + " | stats count(*) as errors by @log | sort errors desc"},
		{ID: "slowest_ingestions", Name: p.Names.SavedQuery("slowest-fp-ingestions"), LogGroups: []string{p.LogGroups["fp-ingestion"]},
			Query: `filter @type = "REPORT" | fields @timestamp, @requestId, @duration, @billedDuration, @maxMemoryUsed | sort @duration desc | limit 25`},
		{ID: "salt_rotation_history", Name: p.Names.SavedQuery("salt-rotation-history"), LogGroups: []string{p.LogGroups["salt-rotator"]},
			Query: `fields @timestamp, @message | filter @message like /rotation step/ | parse @message "rotation step * of * (version *) *" as step, secret, version, outcome | sort @timestamp desc | limit 100`},
	}
}

// alarmMarkers are horizontal lines at the thresholds of the alarms on the
// custom metrics, taken from their specs, so the dashboard and the alarms
// cannot disagree.
func alarmMarkers(specs []AlarmSpec) (map[string]dashboard.Marker, error) {
	out := map[string]dashboard.Marker{}
	for label, metric := range map[string]string{
		"anonymization alarm": AnonymizationErrors, "consent alarm": ConsentCheckFailures, "latency alarm": FPIngestLatency,
	} {
		i := slices.IndexFunc(specs, func(s AlarmSpec) bool {
			return s.Metric != nil && s.Metric.Namespace == names.MetricNamespace && s.Metric.Name == metric
		})
		if i < 0 {
			return nil, fmt.Errorf("monitoring: the dashboard marks the alarm on %s, and there is none", metric)
		}
		out[label] = dashboard.Marker{Label: label, Value: specs[i].Threshold}
	}
	return out, nil
}
