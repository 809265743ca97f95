package tests

import (
	"slices"
	"strings"
	"testing"
)

func TestOutputsNameEveryTableIndexAndKey(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		for _, want := range wantTables(env) {
			tbl := s.One(t, "aws_dynamodb_table", "name", want.name)
			if got := s.Outputs[want.outputKey+"_name"].Str("value"); got != want.name {
				t.Errorf("%s: output %s_name = %q, want %q", env, want.outputKey, got, want.name)
			}
			if got := s.Outputs[want.outputKey+"_arn"].Str("value"); got != tbl.Ref("arn") {
				t.Errorf("%s: output %s_arn = %q, want %q", env, want.outputKey, got, tbl.Ref("arn"))
			}
			for ix := range want.indexes {
				name := want.outputKey + "_" + strings.ReplaceAll(ix, "-", "_") + "_name"
				if got := s.Outputs[name].Str("value"); got != ix {
					t.Errorf("%s: output %s = %q, want %q", env, name, got, ix)
				}
			}
		}
		key := s.All("aws_kms_key")[0]
		alias := s.All("aws_kms_alias")[0]
		checks := map[string]string{
			"kms_key_arn":                    key.Ref("arn"),
			"kms_key_alias":                  alias.Ref("name"),
			"redaction_nonce_parameter_name": s.All("aws_ssm_parameter")[0].Ref("name"),
		}
		for name, want := range checks {
			if got := s.Outputs[name].Str("value"); got != want {
				t.Errorf("%s: output %s = %q, want %q", env, name, got, want)
			}
		}
		for name, out := range s.Outputs {
			if out.Str("description") == "" {
				t.Errorf("%s: output %s has no description", env, name)
			}
		}
	}
}

func TestProviderIsPinnedToTheEnvironment(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		settings := envByName(t, env)
		p := s.Provider["aws"]
		if len(p) != 1 {
			t.Fatalf("%s: %d aws provider blocks", env, len(p))
		}
		if p[0].Str("region") != settings.Region || !slices.Equal(p[0].Strings("allowed_account_ids"), []string{settings.AccountID}) {
			t.Errorf("%s: provider region/accounts = %q/%v", env, p[0].Str("region"), p[0].Get("allowed_account_ids"))
		}
		tags := Obj(p[0].Objs("default_tags")[0]["tags"].(map[string]any))
		if tags.Str("Project") != "phase-mirror" || tags.Str("Environment") != env || tags.Str("ManagedBy") != "cdktf" {
			t.Errorf("%s: default tags %v", env, tags)
		}
		if got := s.Terraform.Str("required_providers", "aws", "version"); got != "~> 5.100" {
			t.Errorf("%s: provider constraint %q, want ~> 5.100 (value_wo needs it; the lock file holds 5.100.0)", env, got)
		}
		if got := s.Terraform.Str("required_version"); got != ">= 1.11" {
			t.Errorf("%s: required_version %q, want >= 1.11 (S3 native locking GA, write-only arguments)", env, got)
		}
		if got := s.Terraform.Str("backend", "local", "path"); got != "../../../terraform."+env+".tfstate" {
			t.Errorf("%s: local state path %q (relative, per environment)", env, got)
		}
	}
}
