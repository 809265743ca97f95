// Package monitoring holds the alerting of one environment: the two encrypted
// SNS topics and their subscriptions, the alarms (every one with alarm and OK
// actions and a runbook), the dashboard, saved Logs Insights queries and
// DynamoDB Contributor Insights. The alarm set is computed by AlarmSpecs, a
// pure function tested without jsii.
package monitoring

import (
	"fmt"
	"sort"

	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// Severity routes an alarm to a topic.
type Severity string

// The two severities; each has its own topic.
const (
	Critical Severity = "critical"
	Warning  Severity = "warning"
)

// Metric names the application must publish (see docs/architecture.md, "Metrics the application must publish").
const (
	ConsentCheckFailures = "ConsentCheckFailures"
	AnonymizationErrors  = "AnonymizationErrors"
	FPIngestLatency      = "FPIngestLatency"
)

// MetricRef is one CloudWatch metric.
type MetricRef struct {
	Namespace  string
	Name       string
	Stat       string
	Dimensions map[string]string
}

// AlarmSpec is everything an alarm is made of.
type AlarmSpec struct {
	// Name is "<project>-<what>-<env>".
	Name string
	// Runbook is the file name (without .md) under docs/runbooks/.
	Runbook     string
	Summary     string
	Severity    Severity
	Metric      *MetricRef           // a single metric, or
	Expression  string               // metric math over
	Inputs      map[string]MetricRef // these metrics (id -> metric)
	Period      int
	Evaluation  int
	ToAlarm     int
	Threshold   float64
	Comparison  string
	MissingData string
}

// Description is the alarm description: what it means and where its runbook is.
func (a AlarmSpec) Description() string {
	return a.Summary + " Runbook: docs/runbooks/" + a.Runbook + ".md"
}

// Table is a table to watch; Short is its name without project and
// environment. Indexes are its global secondary indexes, whose throttling is
// alarmed on separately (a throttled GSI also throttles the table's writes).
type Table struct {
	Short, Name string
	Indexes     []string
}

// Function is a Lambda function to watch.
type Function struct {
	Short, Name    string
	TimeoutSeconds int
	// ErrorsThreshold and ErrorsPeriods set its errors alarm.
	ErrorsThreshold float64
	ErrorsPeriods   int
	ErrorsSeverity  Severity
	ErrorsRunbook   string
}

// Inputs are what AlarmSpecs watches.
type Inputs struct {
	// Names names the alarms (Project and Environment) and places them.
	Names  names.Env
	Tables []Table
	// ThrottleCriticalTable is the table whose throttling is critical (the others are warnings).
	ThrottleCriticalTable string
	Functions             []Function
	// RotatorFunction is the salt rotator, whose age checks must keep running.
	RotatorFunction string
	// TableOperations are the DynamoDB operations the application uses
	// (SystemErrors is only published per operation).
	TableOperations []string
}

// AlarmSpecs returns every alarm of the environment, sorted by name.
func AlarmSpecs(in Inputs) []AlarmSpec {
	name := in.Names.Alarm
	env := map[string]string{"Environment": in.Names.Environment}
	custom := func(metric, stat string) *MetricRef {
		return &MetricRef{Namespace: names.MetricNamespace, Name: metric, Stat: stat, Dimensions: env}
	}
	specs := []AlarmSpec{
		{Name: name("consent-check-failures"), Runbook: "consent-check-failures", Severity: Critical,
			Summary: "More than 10 consent check failures in each of two 5-minute periods: FP reports are being refused or accepted without a consent decision.",
			Metric:  custom(ConsentCheckFailures, "Sum"), Period: 300, Evaluation: 2, ToAlarm: 2, Threshold: 10,
			Comparison: "GreaterThanThreshold", MissingData: "notBreaching"},
		{Name: name("anonymization-errors"), Runbook: "anonymization-errors", Severity: Critical,
			Summary: "More than 5 anonymization errors (salt loading failures) in 5 minutes: FP events cannot be anonymized.",
			Metric:  custom(AnonymizationErrors, "Sum"), Period: 300, Evaluation: 1, ToAlarm: 1, Threshold: 5,
			Comparison: "GreaterThanThreshold", MissingData: "notBreaching"},
		{Name: name("fp-ingest-latency"), Runbook: "fp-ingest-latency", Severity: Warning,
			Summary: "Average FP ingestion latency above 1000 ms over two 15-minute periods.",
			Metric:  custom(FPIngestLatency, "Average"), Period: 900, Evaluation: 2, ToAlarm: 2, Threshold: 1000,
			Comparison: "GreaterThanThreshold", MissingData: "notBreaching"},
	}
	for _, t := range in.Tables {
		severity := Warning
		if t.Name == in.ThrottleCriticalTable {
			severity = Critical
		}
		for _, kind := range []struct{ what, metric string }{{"read-throttles", "ReadThrottleEvents"}, {"write-throttles", "WriteThrottleEvents"}} {
			specs = append(specs, AlarmSpec{
				Name: name(t.Short + "-" + kind.what), Runbook: "dynamodb-throttles", Severity: severity,
				Summary: fmt.Sprintf("DynamoDB throttled requests (%s) on %s.", kind.metric, t.Name),
				Metric:  &MetricRef{Namespace: "AWS/DynamoDB", Name: kind.metric, Stat: "Sum", Dimensions: map[string]string{"TableName": t.Name}},
				Period:  300, Evaluation: 1, ToAlarm: 1, Threshold: 0, Comparison: "GreaterThanThreshold", MissingData: "notBreaching",
			})
			for _, ix := range t.Indexes {
				specs = append(specs, AlarmSpec{
					Name: name(t.Short + "-" + ix + "-" + kind.what), Runbook: "dynamodb-throttles", Severity: severity,
					Summary: fmt.Sprintf("DynamoDB throttled requests (%s) on the global secondary index %s of %s.", kind.metric, ix, t.Name),
					Metric: &MetricRef{Namespace: "AWS/DynamoDB", Name: kind.metric, Stat: "Sum",
						Dimensions: map[string]string{"TableName": t.Name, "GlobalSecondaryIndexName": ix}},
					Period: 300, Evaluation: 1, ToAlarm: 1, Threshold: 0, Comparison: "GreaterThanThreshold", MissingData: "notBreaching",
				})
			}
		}
		inputs := map[string]MetricRef{}
		for i, op := range in.TableOperations {
			id := fmt.Sprintf("m%d", i+1)
			inputs[id] = MetricRef{Namespace: "AWS/DynamoDB", Name: "SystemErrors", Stat: "Sum", Dimensions: map[string]string{"TableName": t.Name, "Operation": op}}
		}
		specs = append(specs, AlarmSpec{
			Name: name(t.Short + "-system-errors"), Runbook: "dynamodb-system-errors", Severity: Critical,
			Summary:    fmt.Sprintf("DynamoDB returned server errors (HTTP 500) on %s: SystemErrors summed over the operations the application uses.", t.Name),
			Expression: "SUM(METRICS())", Inputs: inputs,
			Period: 300, Evaluation: 1, ToAlarm: 1, Threshold: 0, Comparison: "GreaterThanThreshold", MissingData: "notBreaching",
		})
	}
	for _, f := range in.Functions {
		fn := map[string]string{"FunctionName": f.Name}
		specs = append(specs,
			AlarmSpec{Name: name(f.Short + "-errors"), Runbook: f.ErrorsRunbook, Severity: f.ErrorsSeverity,
				Summary: fmt.Sprintf("Lambda %s returned errors (more than %g in %d consecutive 5-minute periods).", f.Name, f.ErrorsThreshold, f.ErrorsPeriods),
				Metric:  &MetricRef{Namespace: "AWS/Lambda", Name: "Errors", Stat: "Sum", Dimensions: fn},
				Period:  300, Evaluation: f.ErrorsPeriods, ToAlarm: f.ErrorsPeriods, Threshold: f.ErrorsThreshold, Comparison: "GreaterThanThreshold", MissingData: "notBreaching"},
			AlarmSpec{Name: name(f.Short + "-throttles"), Runbook: "lambda-throttles", Severity: Warning,
				Summary: fmt.Sprintf("Lambda %s invocations were throttled.", f.Name),
				Metric:  &MetricRef{Namespace: "AWS/Lambda", Name: "Throttles", Stat: "Sum", Dimensions: fn},
				Period:  300, Evaluation: 1, ToAlarm: 1, Threshold: 0, Comparison: "GreaterThanThreshold", MissingData: "notBreaching"},
			AlarmSpec{Name: name(f.Short + "-duration"), Runbook: "lambda-duration", Severity: Warning,
				Summary: fmt.Sprintf("Lambda %s ran longer than 80%% of its %d s timeout.", f.Name, f.TimeoutSeconds),
				Metric:  &MetricRef{Namespace: "AWS/Lambda", Name: "Duration", Stat: "Maximum", Dimensions: fn},
				Period:  300, Evaluation: 1, ToAlarm: 1, Threshold: float64(f.TimeoutSeconds) * 1000 * 0.8, Comparison: "GreaterThanThreshold", MissingData: "notBreaching"},
		)
	}
	specs = append(specs, AlarmSpec{
		Name: name("salt-rotation-checks-missing"), Runbook: "salt-rotation", Severity: Critical,
		Summary: fmt.Sprintf("The salt rotator %s was not invoked for a day: its twice-daily rotation age check stopped, so an overdue rotation would go unnoticed. Missing data is breaching on purpose.", in.RotatorFunction),
		Metric:  &MetricRef{Namespace: "AWS/Lambda", Name: "Invocations", Stat: "Sum", Dimensions: map[string]string{"FunctionName": in.RotatorFunction}},
		Period:  86400, Evaluation: 1, ToAlarm: 1, Threshold: 1, Comparison: "LessThanThreshold", MissingData: "breaching",
	})
	sort.Slice(specs, func(i, j int) bool { return specs[i].Name < specs[j].Name })
	return specs
}
