package tests

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/mermaid"
)

// diagramSection checks (with -update-readme: rewrites) a generated diagram
// wherever it lives, after checking its Mermaid syntax.
func diagramSection(t *testing.T, name, chart string) {
	t.Helper()
	if err := mermaid.Check(chart); err != nil {
		t.Fatalf("diagram %s: %v\n%s", name, err, chart)
	}
	readmeSection(t, name, chart)
}

// TestDiagramArchitecture draws one environment (production) from its
// synthesized JSON: README.md and docs/architecture.md show it.
func TestDiagramArchitecture(t *testing.T) {
	chart := architectureChart(stacks["production"])
	for _, want := range []string{"consent-store", "hmac-salt", "redaction_nonce", "critical-alerts", "PhaseMirror-FPCalibration", "salt-rotator-lambda"} {
		if !strings.Contains(chart, want) {
			t.Errorf("the architecture diagram does not show %s", want)
		}
	}
	diagramSection(t, "architecture", chart)
}

// stackGroups are the subgraphs of the architecture diagram: resource type
// -> subgraph id and title, and the attribute that names a resource.
var stackGroups = []struct{ typ, group, title, nameAttr string }{
	{"aws_dynamodb_table", "tables", "DynamoDB tables (on demand, PITR)", "name"},
	{"aws_secretsmanager_secret", "salt", "HMAC salt", "name"},
	{"aws_lambda_function", "salt", "", "function_name"},
	{"aws_cloudwatch_event_rule", "salt", "", "name"},
	{"aws_ssm_parameter", "parameters", "SSM Parameter Store", "name"},
	{"aws_kms_key", "key", "encryption", ""},
	{"aws_cloudwatch_log_group", "logs", "log groups", "name"},
	{"aws_sns_topic", "monitoring", "monitoring", "name"},
	{"aws_cloudwatch_dashboard", "monitoring", "", "dashboard_name"},
}

// refTo matches a reference to a resource's attribute in the JSON.
var refTo = regexp.MustCompile(`\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+)\.[a-z_]+\}`)

// refID is the node id of the resource a "${type.name.attr}" reference names.
func refID(ref string) string {
	if m := refTo.FindStringSubmatch(ref); m != nil {
		return mermaid.ID(m[2])
	}
	return ""
}

func architectureChart(s *StackJSON) string {
	c := mermaid.New("LR")
	for _, g := range stackGroups {
		if g.title != "" {
			c.Group(g.group, g.title)
		}
		for _, r := range s.All(g.typ) {
			c.Node(g.group, mermaid.ID(r.Name), resourceLabel(s, r, g.nameAttr), shapeOf(g.typ))
		}
	}
	encryptionEdges(c, s)
	alarmNodes(c, s)
	for _, r := range s.All("aws_secretsmanager_secret_rotation") {
		c.Edge(refID(r.Body.Str("rotation_lambda_arn")), refID(r.Body.Str("secret_id")), "rotates, "+r.Body.Str("rotation_rules", "schedule_expression"), false)
	}
	for _, r := range s.All("aws_cloudwatch_event_target") {
		c.Edge(refID(r.Body.Str("rule")), refID(r.Body.Str("arn")), "invokes", false)
	}
	roleEdges(c, s)
	return c.String()
}

func shapeOf(typ string) mermaid.Shape {
	switch typ {
	case "aws_dynamodb_table":
		return mermaid.Database
	case "aws_lambda_function":
		return mermaid.Stadium
	case "aws_kms_key":
		return mermaid.Hexagon
	}
	return mermaid.Box
}

// resourceLabel is a resource's kind and physical name (the key: its alias).
func resourceLabel(s *StackJSON, r Named, nameAttr string) string {
	kind := strings.NewReplacer("aws_", "", "_", " ").Replace(r.Type)
	if when := r.Body.Str("schedule_expression"); when != "" {
		kind += ", " + when
	}
	if r.Type == "aws_kms_key" {
		for _, a := range s.All("aws_kms_alias") {
			if refID(a.Body.Str("target_key_id")) == mermaid.ID(r.Name) {
				return "KMS key\n" + a.Body.Str("name")
			}
		}
	}
	return kind + "\n" + r.Body.Str(nameAttr)
}

// encryptionEdges draws a dotted edge to the environment's key from each
// resource encrypted with it, or from its subgraph when every resource of
// the subgraph is.
func encryptionEdges(c *mermaid.Chart, s *StackJSON) {
	key := mermaid.ID(s.All("aws_kms_key")[0].Name)
	attrs := map[string][]string{"aws_dynamodb_table": {"server_side_encryption", "kms_key_arn"}, "aws_secretsmanager_secret": {"kms_key_id"},
		"aws_ssm_parameter": {"key_id"}, "aws_cloudwatch_log_group": {"kms_key_id"}, "aws_sns_topic": {"kms_master_key_id"}}
	encrypted, total := map[string][]string{}, map[string]int{}
	for _, g := range stackGroups {
		for _, r := range s.All(g.typ) {
			total[g.group]++
			if path, ok := attrs[g.typ]; ok && refID(r.Body.Str(path...)) == key {
				encrypted[g.group] = append(encrypted[g.group], mermaid.ID(r.Name))
			}
		}
	}
	for group, ids := range encrypted {
		if len(ids) == total[group] {
			ids = []string{group}
		}
		for _, id := range ids {
			c.Edge(id, key, "encrypted with", true)
		}
	}
}

// alarmNodes draws the alarms as one node per metric family and severity,
// each pointing at the topic its actions publish to.
func alarmNodes(c *mermaid.Chart, s *StackJSON) {
	families := map[string]string{"AWS/DynamoDB": "DynamoDB", "AWS/Lambda": "Lambda", "PhaseMirror/FPCalibration": "application metric"}
	count := map[[2]string]int{}
	for _, a := range s.All("aws_cloudwatch_metric_alarm") {
		ns := a.Body.Str("namespace")
		for _, q := range a.Body.Objs("metric_query") {
			if q.Str("metric", "namespace") != "" {
				ns = q.Str("metric", "namespace")
			}
		}
		count[[2]string{families[ns], refID(a.Body.Strings("alarm_actions")[0])}]++
	}
	keys := make([][2]string, 0, len(count))
	for k := range count {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		id := mermaid.ID("alarms " + k[0] + " " + k[1])
		c.Node("monitoring", id, fmt.Sprintf("%s alarms: %d", k[0], count[k]), mermaid.Round)
		c.Edge(id, k[1], "alarm and OK actions", false)
	}
}
