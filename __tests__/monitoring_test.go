package tests

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// wantAlarm is one alarm as the operators asked for it.
type wantAlarm struct {
	namespace, metric, stat string
	dims                    map[string]string
	threshold               float64
	period, evaluations     int
	comparison, missing     string
	severity                string
}

func expectedAlarms(t *testing.T, env string) map[string]wantAlarm {
	t.Helper()
	e := envByName(t, env)
	custom := func(metric, stat string, threshold float64, period, evals int, sev string) wantAlarm {
		return wantAlarm{"PhaseMirror/FPCalibration", metric, stat, map[string]string{"Environment": env}, threshold, period, evals, "GreaterThanThreshold", "notBreaching", sev}
	}
	out := map[string]wantAlarm{
		"consent-check-failures": custom("ConsentCheckFailures", "Sum", 10, 300, 2, "critical"),
		"anonymization-errors":   custom("AnonymizationErrors", "Sum", 5, 300, 1, "critical"),
		"fp-ingest-latency":      custom("FPIngestLatency", "Average", 1000, 900, 2, "warning"),
	}
	for short, name := range map[string]string{
		"consent-store": "phase-mirror-consent-store-" + env, "calibration-store": "phase-mirror-calibration-store-" + env,
		"fp-events": "phase-mirror-fp-events-" + env, "block-counter": "mirror-dissonance-block-counter-" + env,
	} {
		sev := "warning"
		if short == "calibration-store" {
			sev = "critical"
		}
		indexes := map[string][]string{"calibration-store": {"rule-index"}, "fp-events": {"finding-index", "rule-index"}}[short]
		for what, metric := range map[string]string{"read-throttles": "ReadThrottleEvents", "write-throttles": "WriteThrottleEvents"} {
			out[short+"-"+what] = wantAlarm{"AWS/DynamoDB", metric, "Sum", map[string]string{"TableName": name}, 0, 300, 1, "GreaterThanThreshold", "notBreaching", sev}
			for _, ix := range indexes {
				out[short+"-"+ix+"-"+what] = wantAlarm{"AWS/DynamoDB", metric, "Sum", map[string]string{"TableName": name, "GlobalSecondaryIndexName": ix}, 0, 300, 1, "GreaterThanThreshold", "notBreaching", sev}
			}
		}
		out[short+"-system-errors"] = wantAlarm{"AWS/DynamoDB", "SystemErrors", "Sum", map[string]string{"TableName": name}, 0, 300, 1, "GreaterThanThreshold", "notBreaching", "critical"}
	}
	for short, f := range map[string]struct {
		name         string
		timeout      int
		errThreshold float64
		errPeriods   int
		errSeverity  string
	}{
		"fp-ingestion":      {e.Functions.FPIngestion, e.FunctionTimeouts.FPIngestion, 10, 2, "warning"},
		"calibration-query": {e.Functions.CalibrationQuery, e.FunctionTimeouts.CalibrationQuery, 10, 2, "warning"},
		"salt-rotator":      {e.Functions.SaltRotator, 30, 0, 1, "critical"},
	} {
		dims := map[string]string{"FunctionName": f.name}
		out[short+"-errors"] = wantAlarm{"AWS/Lambda", "Errors", "Sum", dims, f.errThreshold, 300, f.errPeriods, "GreaterThanThreshold", "notBreaching", f.errSeverity}
		out[short+"-throttles"] = wantAlarm{"AWS/Lambda", "Throttles", "Sum", dims, 0, 300, 1, "GreaterThanThreshold", "notBreaching", "warning"}
		out[short+"-duration"] = wantAlarm{"AWS/Lambda", "Duration", "Maximum", dims, float64(f.timeout) * 800, 300, 1, "GreaterThanThreshold", "notBreaching", "warning"}
	}
	out["salt-rotation-checks-missing"] = wantAlarm{"AWS/Lambda", "Invocations", "Sum", map[string]string{"FunctionName": e.Functions.SaltRotator}, 1, 86400, 1, "LessThanThreshold", "breaching", "critical"}
	return out
}

// TestEveryAlarmFiresOnARealMetricAndReachesItsTopic asserts each alarm's
// metric, namespace, dimensions, threshold, periods, missing-data treatment and
// actions, on both environments.
func TestEveryAlarmFiresOnARealMetricAndReachesItsTopic(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		want := expectedAlarms(t, env)
		topics := map[string]string{}
		for _, sev := range []string{"critical", "warning"} {
			topics[sev] = s.One(t, "aws_sns_topic", "name", "phase-mirror-"+sev+"-alerts-"+env).Ref("arn")
		}
		alarms := s.All("aws_cloudwatch_metric_alarm")
		if len(alarms) != len(want) {
			t.Errorf("%s: %d alarms, want %d", env, len(alarms), len(want))
		}
		for what, w := range want {
			name := "phase-mirror-" + what + "-" + env
			a := s.One(t, "aws_cloudwatch_metric_alarm", "alarm_name", name).Body
			if !slices.Equal(a.Strings("alarm_actions"), []string{topics[w.severity]}) || !slices.Equal(a.Strings("ok_actions"), []string{topics[w.severity]}) {
				t.Errorf("%s: actions %v / %v, want the %s topic", name, a.Get("alarm_actions"), a.Get("ok_actions"), w.severity)
			}
			if a.Num("threshold") != w.threshold || int(a.Num("evaluation_periods")) != w.evaluations || int(a.Num("datapoints_to_alarm")) != w.evaluations ||
				a.Str("comparison_operator") != w.comparison || a.Str("treat_missing_data") != w.missing {
				t.Errorf("%s: threshold %v evaluations %v/%v comparison %s missing %s", name, a.Get("threshold"), a.Get("evaluation_periods"), a.Get("datapoints_to_alarm"), a.Str("comparison_operator"), a.Str("treat_missing_data"))
			}
			if !strings.Contains(a.Str("alarm_description"), "Runbook: docs/runbooks/") {
				t.Errorf("%s: description has no runbook: %q", name, a.Str("alarm_description"))
			}
			if w.metric == "SystemErrors" {
				checkSystemErrors(t, name, a, w)
				continue
			}
			dims, _ := json.Marshal(a.Get("dimensions"))
			wantDims, _ := json.Marshal(w.dims)
			if a.Str("namespace") != w.namespace || a.Str("metric_name") != w.metric || a.Str("statistic") != w.stat ||
				int(a.Num("period")) != w.period || string(dims) != string(wantDims) {
				t.Errorf("%s: %s/%s %s period %v dims %s; want %s/%s %s period %d dims %s", name,
					a.Str("namespace"), a.Str("metric_name"), a.Str("statistic"), a.Get("period"), dims, w.namespace, w.metric, w.stat, w.period, wantDims)
			}
		}
	}
}

// checkSystemErrors: the metric only exists per operation, so the alarm sums
// one query per operation (the HCL version's single-dimension alarm never fired).
func checkSystemErrors(t *testing.T, name string, a Obj, w wantAlarm) {
	t.Helper()
	ops := []string{}
	returned := 0
	for _, q := range a.Objs("metric_query") {
		if q.Bool("return_data") {
			returned++
			if q.Str("expression") != "SUM(METRICS())" {
				t.Errorf("%s: expression %q", name, q.Str("expression"))
			}
			continue
		}
		m := Obj(q.Get("metric").(map[string]any))
		if m.Str("namespace") != "AWS/DynamoDB" || m.Str("metric_name") != "SystemErrors" || m.Str("stat") != "Sum" ||
			m.Str("dimensions", "TableName") != w.dims["TableName"] || int(m.Num("period")) != w.period {
			t.Errorf("%s: metric query %v", name, m)
		}
		ops = append(ops, m.Str("dimensions", "Operation"))
	}
	sort.Strings(ops)
	if returned != 1 || !slices.Equal(ops, []string{"GetItem", "PutItem", "Query", "Scan", "UpdateItem"}) {
		t.Errorf("%s: %d returned series, operations %v", name, returned, ops)
	}
}

func TestTopicsAreEncryptedTLSOnlyAndSubscribed(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		e := envByName(t, env)
		key := s.All("aws_kms_key")[0].Ref("arn")
		alarmPattern := fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:phase-mirror-*-%s", e.Region, e.AccountID, env)
		for sev, emails := range map[string][]string{"critical": e.AlertEmails.Critical, "warning": e.AlertEmails.Warning} {
			topic := s.One(t, "aws_sns_topic", "name", "phase-mirror-"+sev+"-alerts-"+env)
			if topic.Body.Str("kms_master_key_id") != key {
				t.Errorf("%s: %s topic not encrypted with the CMK", env, sev)
			}
			policy := s.One(t, "aws_sns_topic_policy", "arn", topic.Ref("arn"))
			doc := renderPolicy(t, s, policy.Body.Str("policy"))
			got, _ := json.Marshal(doc["Statement"])
			topicArn := fmt.Sprintf("arn:aws:sns:%s:%s:phase-mirror-%s-alerts-%s", e.Region, e.AccountID, sev, env)
			want := `[{"Action":["sns:Publish"],"Condition":{"ArnLike":{"aws:SourceArn":["` + alarmPattern + `"]},"StringEquals":{"aws:SourceAccount":["` + e.AccountID + `"]}},"Effect":"Allow","Principal":{"Service":["cloudwatch.amazonaws.com"]},"Resource":["` + topicArn + `"],"Sid":"CloudWatchAlarmsOfThisAccountPublish"},` +
				`{"Action":["sns:GetTopicAttributes","sns:Publish","sns:SetTopicAttributes","sns:Subscribe"],"Condition":{"Bool":{"aws:SecureTransport":["false"]}},"Effect":"Deny","Principal":{"*":["*"]},"Resource":["` + topicArn + `"],"Sid":"DenyRequestsWithoutTLS"}]`
			if string(got) != want {
				t.Errorf("%s: %s topic policy\n got %s\nwant %s", env, sev, got, want)
			}
			subscribed := []string{}
			for _, sub := range s.All("aws_sns_topic_subscription") {
				if sub.Body.Str("topic_arn") == topic.Ref("arn") {
					if sub.Body.Str("protocol") != "email" {
						t.Errorf("%s: protocol %q", env, sub.Body.Str("protocol"))
					}
					subscribed = append(subscribed, sub.Body.Str("endpoint"))
				}
			}
			if !slices.Equal(sortedCopy(subscribed), sortedCopy(emails)) {
				t.Errorf("%s: %s subscribers %v, settings say %v", env, sev, subscribed, emails)
			}
		}
		var cw Obj
		for _, st := range keyPolicy(t, s) {
			if st.Str("sid") == "CloudWatchAlarmsPublishToEncryptedTopics" {
				cw = st
			}
		}
		if cw == nil || !slices.Equal(cw.Strings("actions"), []string{"kms:Decrypt", "kms:GenerateDataKey*"}) ||
			!slices.Equal(cw.Strings("principals", "0", "identifiers"), []string{"cloudwatch.amazonaws.com"}) || len(cw.Objs("condition")) != 2 {
			t.Errorf("%s: key policy statement for CloudWatch alarms: %v", env, cw)
		}
	}
}

func TestDashboardQueriesAndContributorInsights(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		d := s.One(t, "aws_cloudwatch_dashboard", "dashboard_name", "PhaseMirror-FPCalibration-"+env)
		var body struct {
			Widgets []struct {
				Type          string `json:"type"`
				X, Y          int
				Width, Height int
			} `json:"widgets"`
		}
		if err := json.Unmarshal([]byte(d.Body.Str("dashboard_body")), &body); err != nil {
			t.Fatalf("%s: dashboard body: %v", env, err)
		}
		if len(body.Widgets) < 7 {
			t.Errorf("%s: %d widgets", env, len(body.Widgets))
		}
		for i, w := range body.Widgets {
			if w.X+w.Width > 24 {
				t.Errorf("%s: widget %d exceeds the grid", env, i)
			}
		}
		if n := s.Count("aws_cloudwatch_query_definition"); n < 3 {
			t.Errorf("%s: %d saved queries", env, n)
		}
		for _, q := range s.All("aws_cloudwatch_query_definition") {
			for _, g := range q.Body.Strings("log_group_names") {
				s.One(t, "aws_cloudwatch_log_group", "name", g)
			}
		}
		s.One(t, "aws_dynamodb_contributor_insights", "table_name", "phase-mirror-consent-store-"+env)
		ci := s.One(t, "aws_dynamodb_contributor_insights", "table_name", "phase-mirror-calibration-store-"+env)
		if ci.Body.Str("index_name") != "rule-index" {
			t.Errorf("%s: calibration insights on %q", env, ci.Body.Str("index_name"))
		}
	}
}
