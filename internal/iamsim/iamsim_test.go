package iamsim

import "testing"

// TestEncryptionContextIsDecided: the simulator drops kms:EncryptionContext
// keys (so a key policy conditioned on one would deny everything); Run
// decides them first. The nonce's own context is allowed, another
// parameter's and none are not, and an operator it does not evaluate is an
// error, not a verdict.
func TestEncryptionContextIsDecided(t *testing.T) {
	const nonce = "arn:aws:ssm:us-east-1:111111111111:parameter/guardian/redaction_nonce-staging"
	keyPolicy := func(op string) map[string]any {
		return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111111111111:role/deploy"},
			"Action": "kms:Decrypt", "Resource": "*",
			"Condition": map[string]any{op: map[string]any{"kms:EncryptionContext:PARAMETER_ARN": nonce},
				"StringEqualsIgnoreCase": map[string]any{"kms:ViaService": "ssm.us-east-1.amazonaws.com"}},
		}}}
	}
	sim := func(context map[string]any, policy map[string]any) Simulation {
		context["kms:ViaService"] = "ssm.us-east-1.amazonaws.com"
		return New("arn:aws:sts::111111111111:assumed-role/deploy/s", "kms:Decrypt", "arn:aws:kms:us-east-1:111111111111:key/k", "111111111111",
			context, nil, policy)
	}
	results, err := Run([]Simulation{
		sim(map[string]any{"kms:EncryptionContext:PARAMETER_ARN": nonce}, keyPolicy("StringEquals")),
		sim(map[string]any{"kms:EncryptionContext:PARAMETER_ARN": nonce + "-other"}, keyPolicy("StringEquals")),
		sim(map[string]any{}, keyPolicy("StringEquals")),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"Allowed", "ImplicitlyDenied", "ImplicitlyDenied"} {
		if results[i].Result != want {
			t.Errorf("case %d: %s %s, want %s", i, results[i].Result, results[i].Errors, want)
		}
	}
	if _, err := Run([]Simulation{sim(map[string]any{}, keyPolicy("StringLike"))}); err == nil {
		t.Error("a StringLike condition on an encryption context key was judged")
	}
}

// TestBooleanContextValuesCount: a Bool condition compares strings; a JSON
// true in the context would never match (seen: a deny on kms:MultiRegion
// that did not deny). Run passes context values as strings.
func TestBooleanContextValuesCount(t *testing.T) {
	policy := map[string]any{"Version": "2012-10-17", "Statement": []any{
		map[string]any{"Effect": "Allow", "Action": "kms:CreateKey", "Resource": "*"},
		map[string]any{"Effect": "Deny", "Action": "kms:CreateKey", "Resource": "*", "Condition": map[string]any{"Bool": map[string]any{"kms:MultiRegion": "true"}}},
	}}
	results, err := Run([]Simulation{New("arn:aws:sts::111111111111:assumed-role/d/s", "kms:CreateKey", "*", "111111111111",
		map[string]any{"kms:MultiRegion": true}, policy, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if results[0].Result != "ExplicitlyDenied" {
		t.Errorf("a multi-Region key: %s, want ExplicitlyDenied", results[0].Result)
	}
}
