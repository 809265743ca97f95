package tests

import (
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
)

type attr struct{ name, typ string }

type wantTable struct {
	name      string
	hash      string
	rangeKey  string
	attrs     []attr
	indexes   map[string]string // GSI name -> hash key
	ttl       string
	outputKey string
}

func wantTables(env string) []wantTable {
	return []wantTable{
		{name: "phase-mirror-consent-store-" + env, hash: "orgId", attrs: []attr{{"orgId", "S"}}, ttl: "expiresAt", outputKey: "consent_table"},
		{name: "phase-mirror-calibration-store-" + env, hash: "id", attrs: []attr{{"id", "S"}, {"ruleId", "S"}},
			indexes: map[string]string{"rule-index": "ruleId"}, outputKey: "calibration_table"},
		{name: "phase-mirror-fp-events-" + env, hash: "id", attrs: []attr{{"id", "S"}, {"findingId", "S"}, {"ruleId", "S"}},
			indexes: map[string]string{"finding-index": "findingId", "rule-index": "ruleId"}, outputKey: "fp_events_table"},
		{name: "mirror-dissonance-block-counter-" + env, hash: "bucketKey", rangeKey: "ruleId",
			attrs: []attr{{"bucketKey", "S"}, {"ruleId", "S"}}, ttl: "ttl", outputKey: "block_counter_table"},
	}
}

func TestTablesKeepTheNamesAndSchemasTheApplicationUses(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		if got := s.Count("aws_dynamodb_table"); got != 4 {
			t.Errorf("%s: %d tables, want 4", env, got)
		}
		for _, want := range wantTables(env) {
			tbl := s.One(t, "aws_dynamodb_table", "name", want.name).Body
			if tbl.Str("hash_key") != want.hash || tbl.Str("range_key") != want.rangeKey {
				t.Errorf("%s: keys %q/%q, want %q/%q", want.name, tbl.Str("hash_key"), tbl.Str("range_key"), want.hash, want.rangeKey)
			}
			gotAttrs := map[string]string{}
			for _, a := range tbl.Objs("attribute") {
				gotAttrs[a.Str("name")] = a.Str("type")
			}
			if len(gotAttrs) != len(want.attrs) {
				t.Errorf("%s: attributes %v, want %v", want.name, gotAttrs, want.attrs)
			}
			for _, a := range want.attrs {
				if gotAttrs[a.name] != a.typ {
					t.Errorf("%s: attribute %s has type %q, want %q", want.name, a.name, gotAttrs[a.name], a.typ)
				}
			}
			gsis := tbl.Objs("global_secondary_index")
			if len(gsis) != len(want.indexes) {
				t.Errorf("%s: %d GSIs, want %d", want.name, len(gsis), len(want.indexes))
			}
			for _, g := range gsis {
				if want.indexes[g.Str("name")] != g.Str("hash_key") || g.Str("projection_type") != "ALL" {
					t.Errorf("%s: unexpected GSI %v", want.name, g)
				}
			}
			if want.ttl == "" {
				if tbl.Get("ttl") != nil {
					t.Errorf("%s: unexpected TTL %v", want.name, tbl.Get("ttl"))
				}
			} else if tbl.Str("ttl", "attribute_name") != want.ttl || !tbl.Bool("ttl", "enabled") {
				t.Errorf("%s: TTL %v, want %s enabled", want.name, tbl.Get("ttl"), want.ttl)
			}
		}
	}
}

func TestTablesAreOnDemandEncryptedRecoverableAndProtected(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		settings := envByName(t, env)
		keys := s.All("aws_kms_key")
		if len(keys) != 1 {
			t.Fatalf("%s: %d KMS keys, want 1", env, len(keys))
		}
		for _, tbl := range s.All("aws_dynamodb_table") {
			b := tbl.Body
			name := b.Str("name")
			if b.Str("billing_mode") != "PAY_PER_REQUEST" {
				t.Errorf("%s: billing mode %q", name, b.Str("billing_mode"))
			}
			if !b.Bool("point_in_time_recovery", "enabled") {
				t.Errorf("%s: point-in-time recovery off", name)
			}
			if !b.Bool("server_side_encryption", "enabled") || b.Str("server_side_encryption", "kms_key_arn") != keys[0].Ref("arn") {
				t.Errorf("%s: not encrypted with the environment's CMK: %v", name, b.Get("server_side_encryption"))
			}
			if b.Bool("deletion_protection_enabled") != settings.DeletionProtection {
				t.Errorf("%s: deletion protection %v, settings say %v", name, b.Bool("deletion_protection_enabled"), settings.DeletionProtection)
			}
			if got := b.Bool("lifecycle", "prevent_destroy"); got != settings.IsProduction() {
				t.Errorf("%s: prevent_destroy = %v, want %v (production only)", name, got, settings.IsProduction())
			}
		}
	}
}

func TestProductionTablesCannotBeDeleted(t *testing.T) {
	for _, tbl := range stacks["production"].All("aws_dynamodb_table") {
		if !tbl.Body.Bool("deletion_protection_enabled") || !tbl.Body.Bool("lifecycle", "prevent_destroy") {
			t.Errorf("production table %s lacks deletion protection or prevent_destroy", tbl.Body.Str("name"))
		}
	}
}

func TestRedactionNonceIsNeverOverwritten(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		p := s.One(t, "aws_ssm_parameter", "name", "/guardian/redaction_nonce-"+env)
		if p.Body.Str("type") != "SecureString" {
			t.Errorf("%s nonce type %q, want SecureString", env, p.Body.Str("type"))
		}
		if p.Body.Str("key_id") != s.All("aws_kms_key")[0].Ref("arn") {
			t.Errorf("%s nonce not encrypted with the CMK: %q", env, p.Body.Str("key_id"))
		}
		// Written once through the write-only argument: no value in the
		// configuration, so none in state or in a plan file (the offline plan
		// test checks the plan's JSON too).
		if p.Body.Get("value") != nil || p.Body.Get("insecure_value") != nil {
			t.Errorf("%s nonce has a value argument: it would be kept in state", env)
		}
		if p.Body.Str("value_wo") != datastore.NoncePlaceholder || p.Body.Get("value_wo_version") != float64(datastore.NonceWriteVersion) {
			t.Errorf("%s nonce: value_wo %v, value_wo_version %v", env, p.Body.Get("value_wo"), p.Body.Get("value_wo_version"))
		}
	}
}
