package drill

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
)

// probes repeat, for each faked resource type and call, the call its
// creation makes, and return what the emulator answered and whether
// that is the failure its Gap describes.
var probes = map[string]func(t *testing.T, cli func(args ...string) (string, bool)) (string, bool){
	"aws_cloudwatch_query_definition": func(t *testing.T, cli func(args ...string) (string, bool)) (string, bool) {
		out, ok := cli("logs", "put-query-definition", "--name", "drill-probe", "--query-string", "fields @message")
		return out, !ok && strings.Contains(out, "internal error")
	},
	"aws_dynamodb_contributor_insights": func(t *testing.T, cli func(args ...string) (string, bool)) (string, bool) {
		if out, ok := cli("dynamodb", "create-table", "--table-name", "drill-probe", "--billing-mode", "PAY_PER_REQUEST",
			"--attribute-definitions", "AttributeName=id,AttributeType=S", "--key-schema", "AttributeName=id,KeyType=HASH"); !ok {
			t.Fatalf("create the probe table: %s", out)
		}
		out, ok := cli("dynamodb", "update-contributor-insights", "--table-name", "drill-probe", "--contributor-insights-action", "ENABLE")
		return out, !ok && strings.Contains(out, "internal error")
	},
	"aws_secretsmanager_secret_rotation": func(t *testing.T, cli func(args ...string) (string, bool)) (string, bool) {
		pkg := filepath.Join(t.TempDir(), "function.zip")
		writeZip(t, pkg, "bootstrap")
		role := "arn:aws:iam::" + probeAccount + ":role/drill-probe"
		cli("iam", "create-role", "--role-name", "drill-probe", "--assume-role-policy-document", `{"Version":"2012-10-17","Statement":[]}`)
		if out, ok := cli("lambda", "create-function", "--function-name", "drill-probe", "--runtime", "provided.al2023", "--architectures", "arm64",
			"--handler", "bootstrap", "--role", role, "--zip-file", "fileb://"+pkg); !ok {
			t.Fatalf("create the probe function: %s", out)
		}
		if out, ok := cli("secretsmanager", "create-secret", "--name", "drill-probe"); !ok { // no value, like the salt
			t.Fatalf("create the probe secret: %s", out)
		}
		out, ok := cli("secretsmanager", "rotate-secret", "--secret-id", "drill-probe", "--rotation-rules", "AutomaticallyAfterDays=30",
			"--rotation-lambda-arn", "arn:aws:lambda:"+staging.Region+":"+probeAccount+":function:drill-probe")
		return out, !ok && strings.Contains(out, "internal error")
	},
	"aws_s3_bucket_policy": func(t *testing.T, cli func(args ...string) (string, bool)) (string, bool) {
		if out, ok := cli("s3api", "create-bucket", "--bucket", "drill-probe"); !ok {
			t.Fatalf("create the probe bucket: %s", out)
		}
		policy := `{"Version":"2012-10-17","Statement":[{"Sid":"DenyRequestsWithoutTLS","Effect":"Deny","Principal":"*","Action":"s3:*",` +
			`"Resource":["arn:aws:s3:::drill-probe","arn:aws:s3:::drill-probe/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
		if out, ok := cli("s3api", "put-bucket-policy", "--bucket", "drill-probe", "--policy", policy); !ok {
			t.Fatalf("put the probe policy: %s", out)
		}
		body := filepath.Join(t.TempDir(), "object")
		if err := os.WriteFile(body, []byte("state"), 0o644); err != nil {
			t.Fatal(err)
		}
		// Over TLS (the emulator serves TLS only): the Deny must not apply.
		out, ok := cli("s3api", "put-object", "--bucket", "drill-probe", "--key", "terraform.tfstate", "--body", body)
		return out, !ok && strings.Contains(out, "Forbidden")
	},
	"dynamodb:UpdateTable SSESpecification": func(t *testing.T, cli func(args ...string) (string, bool)) (string, bool) {
		if out, ok := cli("dynamodb", "create-table", "--table-name", "drill-probe-sse", "--billing-mode", "PAY_PER_REQUEST",
			"--attribute-definitions", "AttributeName=id,AttributeType=S", "--key-schema", "AttributeName=id,KeyType=HASH"); !ok {
			t.Fatalf("create the probe table: %s", out)
		}
		key, ok := cli("kms", "create-key", "--query", "KeyMetadata.Arn", "--output", "text")
		if !ok {
			t.Fatalf("create the probe key: %s", key)
		}
		key = strings.TrimSpace(key)
		if out, ok := cli("dynamodb", "update-table", "--table-name", "drill-probe-sse", "--sse-specification", "Enabled=true,SSEType=KMS,KMSMasterKeyId="+key); !ok {
			return out, false
		}
		out, _ := cli("dynamodb", "describe-table", "--table-name", "drill-probe-sse", "--query", "Table.SSEDescription.KMSMasterKeyArn", "--output", "text")
		return out, !strings.Contains(out, key)
	},
	"logs:AssociateKmsKey": func(t *testing.T, cli func(args ...string) (string, bool)) (string, bool) {
		cli("logs", "create-log-group", "--log-group-name", "/drill/probe")
		key, ok := cli("kms", "create-key", "--query", "KeyMetadata.Arn", "--output", "text")
		if !ok {
			t.Fatalf("create the probe key: %s", key)
		}
		out, ok := cli("logs", "associate-kms-key", "--log-group-name", "/drill/probe", "--kms-key-id", strings.TrimSpace(key))
		return out, !ok && (strings.Contains(out, "internal error") || strings.Contains(out, "(500)"))
	},
}

// probeAccount is the probes' account on the emulator (neither stack's).
const probeAccount = "000000000009"

// TestTheEmulatorStillLacksWhatIsFaked: each resource type and call the
// proxy answers for the emulator fails on the emulator as its Gap says, and
// every listed one has a probe, so the list cannot grow without proof or
// outlive its reason. The probes make their own resources, under names of
// their own, so they run at once, in an account of their own: the drills
// never see what they leave.
func TestTheEmulatorStillLacksWhatIsFaked(t *testing.T) {
	needsEmulator(t)
	// Beside the drills, not before them: staging's drill is the whole
	// proof's critical path, and these probes held its start 7 s.
	t.Parallel()
	emu := newEmulator(t, probeAccount)
	cli := func(args ...string) (string, bool) {
		cmd := exec.Command("aws", args...)
		cmd.Env = append(withoutAWS(os.Environ()), append(emu.Env(staging.Region), "AWS_MAX_ATTEMPTS=1")...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Start()
		if err == nil {
			_ = synthlock.YieldProcess(cmd.Process.Pid) // staging's steps first
			err = cmd.Wait()
		}
		return out.String(), err == nil
	}
	all := Faked
	for _, e := range all {
		probe, ok := probes[e.Type]
		if !ok {
			t.Errorf("%s is faked but has no probe proving the emulator refuses it", e.Type)
			continue
		}
		t.Run(e.Type, func(t *testing.T) {
			t.Parallel()
			if out, refused := probe(t, cli); !refused {
				t.Errorf("%s: the emulator no longer fails as described (%s); drop its fake. It answered:\n%s", e.Type, e.Reason, out)
			}
		})
	}
	if len(probes) != len(all) {
		t.Errorf("%d probes for %d faked types and calls", len(probes), len(all))
	}
}

// writeZip writes a zip holding one small file.
func writeZip(t *testing.T, path, name string) {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("#!/bin/sh\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
