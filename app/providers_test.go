package app

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestMissingProvidersNamesEachUnconfiguredProvider(t *testing.T) {
	cases := []struct {
		name, json string
		want       []string
	}{
		{"configured", `{"provider":{"aws":[{}]},"resource":{"aws_sqs_queue":{"q":{}}},"data":{"aws_iam_policy_document":{"d":{}}}}`, nil},
		{"no provider block", `{"resource":{"aws_sqs_queue":{"q":{}}}}`, []string{"aws"}},
		{"data source only", `{"provider":{"random":[{}]},"data":{"aws_caller_identity":{"c":{}}},"resource":{"random_id":{"r":{}}}}`, []string{"aws"}},
		{"two missing, sorted", `{"resource":{"random_id":{"r":{}},"aws_sqs_queue":{"q":{}}}}`, []string{"aws", "random"}},
		{"built-in terraform provider", `{"resource":{"terraform_data":{"t":{}}}}`, nil},
		{"nothing", `{}`, nil},
	}
	for _, c := range cases {
		var tf map[string]any
		if err := json.Unmarshal([]byte(c.json), &tf); err != nil {
			t.Fatal(err)
		}
		if got := missingProviders(tf); !slices.Equal(got, c.want) {
			t.Errorf("%s: missing %v, want %v", c.name, got, c.want)
		}
	}
	var tf map[string]any
	_ = json.Unmarshal([]byte(`{"resource":{"aws_sqs_queue":{"q":{}}}}`), &tf)
	err := checkProviders("staging", tf)
	if err == nil || !strings.Contains(err.Error(), "stack staging: uses resources of the provider(s) aws") || !strings.Contains(err.Error(), "fix:") {
		t.Errorf("error %v", err)
	}
	if err := checkProviders("staging", map[string]any{}); err != nil {
		t.Errorf("an empty stack: %v", err)
	}
}
