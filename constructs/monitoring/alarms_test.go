package monitoring

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

func sampleInputs() Inputs {
	return Inputs{
		Names: names.Env{Project: "phase-mirror", Environment: "staging", Region: "us-east-1", AccountID: "111111111111"},
		Tables: []Table{
			{Short: "consent-store", Name: "phase-mirror-consent-store-staging"},
			{Short: "calibration-store", Name: "phase-mirror-calibration-store-staging", Indexes: []string{"rule-index"}},
			{Short: "fp-events", Name: "phase-mirror-fp-events-staging", Indexes: []string{"finding-index"}},
			{Short: "block-counter", Name: "mirror-dissonance-block-counter-staging"},
		},
		ThrottleCriticalTable: "phase-mirror-calibration-store-staging",
		Functions: []Function{
			{Short: "fp-ingestion", Name: "fp", TimeoutSeconds: 30, ErrorsThreshold: 10, ErrorsPeriods: 2, ErrorsSeverity: Warning, ErrorsRunbook: "lambda-errors"},
			{Short: "salt-rotator", Name: "rot", TimeoutSeconds: 30, ErrorsThreshold: 0, ErrorsPeriods: 1, ErrorsSeverity: Critical, ErrorsRunbook: "salt-rotation"},
		},
		RotatorFunction: "rot",
		TableOperations: []string{"GetItem", "PutItem"},
	}
}

func byName(specs []AlarmSpec) map[string]AlarmSpec {
	out := map[string]AlarmSpec{}
	for _, s := range specs {
		out[s.Name] = s
	}
	return out
}

func TestOperatorAlarmsMatchTheirRequest(t *testing.T) {
	specs := byName(AlarmSpecs(sampleInputs()))
	env := map[string]string{"Environment": "staging"}
	cases := []struct {
		name                string
		metric, stat        string
		threshold           float64
		period, evals       int
		severity            Severity
		dims                map[string]string
		missing, comparison string
	}{
		{"phase-mirror-consent-check-failures-staging", ConsentCheckFailures, "Sum", 10, 300, 2, Critical, env, "notBreaching", "GreaterThanThreshold"},
		{"phase-mirror-anonymization-errors-staging", AnonymizationErrors, "Sum", 5, 300, 1, Critical, env, "notBreaching", "GreaterThanThreshold"},
		{"phase-mirror-fp-ingest-latency-staging", FPIngestLatency, "Average", 1000, 900, 2, Warning, env, "notBreaching", "GreaterThanThreshold"},
		{"phase-mirror-calibration-store-read-throttles-staging", "ReadThrottleEvents", "Sum", 0, 300, 1, Critical, map[string]string{"TableName": "phase-mirror-calibration-store-staging"}, "notBreaching", "GreaterThanThreshold"},
		{"phase-mirror-consent-store-write-throttles-staging", "WriteThrottleEvents", "Sum", 0, 300, 1, Warning, map[string]string{"TableName": "phase-mirror-consent-store-staging"}, "notBreaching", "GreaterThanThreshold"},
		{"phase-mirror-calibration-store-rule-index-read-throttles-staging", "ReadThrottleEvents", "Sum", 0, 300, 1, Critical, map[string]string{"TableName": "phase-mirror-calibration-store-staging", "GlobalSecondaryIndexName": "rule-index"}, "notBreaching", "GreaterThanThreshold"},
		{"phase-mirror-fp-events-finding-index-write-throttles-staging", "WriteThrottleEvents", "Sum", 0, 300, 1, Warning, map[string]string{"TableName": "phase-mirror-fp-events-staging", "GlobalSecondaryIndexName": "finding-index"}, "notBreaching", "GreaterThanThreshold"},
		{"phase-mirror-fp-ingestion-errors-staging", "Errors", "Sum", 10, 300, 2, Warning, map[string]string{"FunctionName": "fp"}, "notBreaching", "GreaterThanThreshold"},
		{"phase-mirror-fp-ingestion-duration-staging", "Duration", "Maximum", 24000, 300, 1, Warning, map[string]string{"FunctionName": "fp"}, "notBreaching", "GreaterThanThreshold"},
		{"phase-mirror-salt-rotator-errors-staging", "Errors", "Sum", 0, 300, 1, Critical, map[string]string{"FunctionName": "rot"}, "notBreaching", "GreaterThanThreshold"},
		{"phase-mirror-salt-rotation-checks-missing-staging", "Invocations", "Sum", 1, 86400, 1, Critical, map[string]string{"FunctionName": "rot"}, "breaching", "LessThanThreshold"},
	}
	for _, c := range cases {
		s, ok := specs[c.name]
		if !ok {
			t.Errorf("missing alarm %s", c.name)
			continue
		}
		if s.Metric == nil || s.Metric.Name != c.metric || s.Metric.Stat != c.stat || s.Threshold != c.threshold || s.Period != c.period ||
			s.Evaluation != c.evals || s.ToAlarm != c.evals || s.Severity != c.severity || s.MissingData != c.missing || s.Comparison != c.comparison {
			t.Errorf("%s: %+v (metric %+v)", c.name, s, s.Metric)
			continue
		}
		if got, _ := json.Marshal(s.Metric.Dimensions); string(got) != mustJSON(c.dims) {
			t.Errorf("%s: dimensions %s, want %s", c.name, got, mustJSON(c.dims))
		}
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

// TestSystemErrorsSumEveryOperation: SystemErrors exists only per operation,
// so the alarm sums one metric per operation the application uses.
func TestSystemErrorsSumEveryOperation(t *testing.T) {
	s := byName(AlarmSpecs(sampleInputs()))["phase-mirror-fp-events-system-errors-staging"]
	if s.Metric != nil || s.Expression != "SUM(METRICS())" || len(s.Inputs) != 2 {
		t.Fatalf("%+v", s)
	}
	ops := map[string]bool{}
	for _, in := range s.Inputs {
		if in.Name != "SystemErrors" || in.Dimensions["TableName"] != "phase-mirror-fp-events-staging" {
			t.Errorf("input %+v", in)
		}
		ops[in.Dimensions["Operation"]] = true
	}
	if !ops["GetItem"] || !ops["PutItem"] {
		t.Errorf("operations %v", ops)
	}
}

func TestEveryTableAndFunctionIsWatched(t *testing.T) {
	in := sampleInputs()
	specs := byName(AlarmSpecs(in))
	indexes := 0
	for _, tb := range in.Tables {
		for _, what := range []string{"read-throttles", "write-throttles", "system-errors"} {
			if _, ok := specs["phase-mirror-"+tb.Short+"-"+what+"-staging"]; !ok {
				t.Errorf("no %s alarm for %s", what, tb.Name)
			}
		}
		for _, ix := range tb.Indexes {
			indexes++
			for _, what := range []string{"read-throttles", "write-throttles"} {
				if _, ok := specs["phase-mirror-"+tb.Short+"-"+ix+"-"+what+"-staging"]; !ok {
					t.Errorf("no %s alarm for index %s of %s", what, ix, tb.Name)
				}
			}
		}
	}
	for _, f := range in.Functions {
		for _, what := range []string{"errors", "throttles", "duration"} {
			if _, ok := specs["phase-mirror-"+f.Short+"-"+what+"-staging"]; !ok {
				t.Errorf("no %s alarm for %s", what, f.Name)
			}
		}
	}
	if want := 3 + 3*len(in.Tables) + 2*indexes + 3*len(in.Functions) + 1; len(specs) != want {
		t.Errorf("%d alarms, want %d", len(specs), want)
	}
}

// TestAlarmsAndRunbooksAreInStep: every alarm's description names a runbook
// that exists, and every runbook belongs to an alarm.
func TestAlarmsAndRunbooksAreInStep(t *testing.T) {
	dir := filepath.Join("..", "..", "docs", "runbooks")
	used := map[string]bool{}
	for _, s := range AlarmSpecs(sampleInputs()) {
		used[s.Runbook] = true
		if !strings.HasSuffix(s.Description(), "Runbook: docs/runbooks/"+s.Runbook+".md") {
			t.Errorf("%s: description does not end with its runbook: %q", s.Name, s.Description())
		}
		body, err := os.ReadFile(filepath.Join(dir, s.Runbook+".md"))
		if err != nil {
			t.Errorf("%s: runbook missing: %v", s.Name, err)
			continue
		}
		generic := strings.NewReplacer("staging", "<env>", "calibration-store", "<table>", "consent-store", "<table>", "fp-events", "<table>",
			"block-counter", "<table>", "fp-ingestion", "<function>", "calibration-query", "<function>", "salt-rotator", "<function>").Replace(s.Name)
		if !strings.Contains(string(body), generic) && !strings.Contains(string(body), strings.Replace(s.Name, "staging", "<env>", 1)) {
			t.Errorf("runbook %s.md does not mention alarm %s (or %s)", s.Runbook, s.Name, generic)
		}
		for _, section := range []string{"## First checks", "## Resolve"} {
			if !strings.Contains(string(body), section) {
				t.Errorf("runbook %s.md lacks %q", s.Runbook, section)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.md"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".md")
		if name != "README" && !used[name] {
			t.Errorf("runbook %s.md belongs to no alarm", name)
		}
	}
}

func TestDashboardBody(t *testing.T) {
	p := Props{Inputs: sampleInputs(),
		LogGroups: map[string]string{"fp-ingestion": "/aws/lambda/fp", "salt-rotator": "/aws/lambda/rot"}}
	specs := AlarmSpecs(p.Inputs)
	body, err := DashboardBody(p, specs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, `\n`) {
		t.Error("the dashboard body holds a newline, which cdktf's HCL rendering turns into invalid JSON")
	}
	var parsed struct {
		Widgets []struct {
			Type       string         `json:"type"`
			X          int            `json:"x"`
			Width      int            `json:"width"`
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &parsed); err != nil {
		t.Fatal(err)
	}
	if len(parsed.Widgets) < 7 {
		t.Errorf("%d widgets, want at least 7", len(parsed.Widgets))
	}
	types := map[string]int{}
	for _, w := range parsed.Widgets {
		types[w.Type]++
	}
	if types["alarm"] != 1 || types["log"] != 1 || types["metric"] < 5 {
		t.Errorf("widget types %v", types)
	}
	for _, s := range specs {
		if !strings.Contains(body, "alarm:"+s.Name+`"`) {
			t.Errorf("alarm widget lacks %s", s.Name)
		}
	}
	for _, m := range []string{ConsentCheckFailures, AnonymizationErrors, FPIngestLatency, "ReadThrottleEvents", "ConsumedReadCapacityUnits", "Duration", "Invocations"} {
		if !strings.Contains(body, `"`+m+`"`) {
			t.Errorf("dashboard does not show %s", m)
		}
	}
}

func TestSavedQueries(t *testing.T) {
	p := Props{Inputs: sampleInputs(), LogGroups: map[string]string{"fp-ingestion": "/aws/lambda/fp", "calibration-query": "/aws/lambda/q", "salt-rotator": "/aws/lambda/rot"}}
	qs := SavedQueries(p)
	if len(qs) < 3 {
		t.Fatalf("%d queries", len(qs))
	}
	for _, q := range qs {
		if !strings.HasPrefix(q.Name, "phase-mirror/staging/") || q.Query == "" || len(q.LogGroups) == 0 {
			t.Errorf("query %+v", q)
		}
		for _, g := range q.LogGroups {
			if g == "" {
				t.Errorf("query %s has an empty log group", q.Name)
			}
		}
	}
}

// TestDashboardMarksTheAlarmThresholds: the dashboard's threshold lines come
// from the alarms (5 anonymization errors, 10 consent failures, 1000 ms), and
// a dashboard without the alarm it marks is refused.
func TestDashboardMarksTheAlarmThresholds(t *testing.T) {
	markers, err := alarmMarkers(AlarmSpecs(sampleInputs()))
	if err != nil {
		t.Fatal(err)
	}
	for label, want := range map[string]float64{"anonymization alarm": 5, "consent alarm": 10, "latency alarm": 1000} {
		if got := markers[label]; got.Value != want || got.Label != label {
			t.Errorf("%s: %+v, want value %g", label, got, want)
		}
	}
	if _, err := DashboardBody(Props{Inputs: sampleInputs()}, nil); err == nil || !strings.Contains(err.Error(), "AnonymizationErrors") && !strings.Contains(err.Error(), "ConsentCheckFailures") && !strings.Contains(err.Error(), "FPIngestLatency") {
		t.Errorf("a dashboard without its alarms: %v", err)
	}
}
