package names

import (
	"go/ast"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/gofiles"
)

// TestNamesAreTheFacts holds the names against the literal values of
// ../shared/spec/original-infra-facts.md (the application depends on them),
// written out here, not derived from the code under test.
func TestNamesAreTheFacts(t *testing.T) {
	e := Env{Project: "phase-mirror", Environment: "staging", Region: "us-east-1", AccountID: "111111111111"}
	for got, want := range map[string]string{
		e.ConsentTable():                  "phase-mirror-consent-store-staging",
		e.CalibrationTable():              "phase-mirror-calibration-store-staging",
		e.FPEventsTable():                 "phase-mirror-fp-events-staging",
		e.BlockCounterTable():             "mirror-dissonance-block-counter-staging",
		e.NonceParameter():                "/guardian/redaction_nonce-staging",
		e.KeyAlias():                      "alias/phase-mirror-secrets-staging",
		e.SaltSecret():                    "/phase-mirror/fp-calibration/hmac-salt-staging",
		e.SaltParameterReference():        "/aws/reference/secretsmanager//phase-mirror/fp-calibration/hmac-salt-staging",
		e.LambdaRole("fp-ingestion"):      "phase-mirror-fp-ingestion-lambda-staging",
		e.LambdaRole("calibration-query"): "phase-mirror-calibration-query-lambda-staging",
		e.LambdaRole("salt-rotator"):      "phase-mirror-salt-rotator-lambda-staging",
		e.Topic("critical"):               "phase-mirror-critical-alerts-staging",
		e.Topic("warning"):                "phase-mirror-warning-alerts-staging",
		e.Dashboard():                     "PhaseMirror-FPCalibration-staging",
		MetricNamespace:                   "PhaseMirror/FPCalibration",
		// Ours, not the HCL version's: kept stable because deployments and docs use them.
		e.StateBucket():           "phase-mirror-tfstate-111111111111-us-east-1",
		e.StateLockTable():        "terraform-locks-phase-mirror-staging",
		e.StateObject("pm"):       "pm/staging/terraform.tfstate",
		e.BootstrapStack():        "state-bootstrap-staging",
		e.RoleARN(e.DeployRole()): "arn:aws:iam::111111111111:role/phase-mirror-deploy-staging",
		e.SecretARN("/s"):         "arn:aws:secretsmanager:us-east-1:111111111111:secret:/s-??????",
		e.ParameterARN("/p"):      "arn:aws:ssm:us-east-1:111111111111:parameter/p",
		e.DashboardARN("d"):       "arn:aws:cloudwatch::111111111111:dashboard/d",
		e.AccountRoot():           "arn:aws:iam::111111111111:root",
		BucketARN("b"):            "arn:aws:s3:::b",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	// The lock table must stay outside the pattern the deploy role manages tables by.
	if matched, _ := filepath.Match(e.Named("*"), e.StateLockTable()); matched {
		t.Errorf("lock table %s matches the managed tables' pattern %s", e.StateLockTable(), e.Named("*"))
	}
}

// placeholders stand for what varies in a name; what is left between them is
// the name's own spelling.
var placeholders = Env{Project: "QPROJQ", Environment: "QENVQ", Region: "QREGIONQ", AccountID: "QACCOUNTQ"}

const what = "QWHATQ"

// spellings are the constant parts of every name this package builds: each
// method of Env that returns a name (not an ARN, whose constant parts are
// AWS's), with placeholders for its inputs.
func spellings(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	v := reflect.ValueOf(placeholders)
	for i := 0; i < v.NumMethod(); i++ {
		m, name := v.Method(i), v.Type().Method(i).Name
		if strings.Contains(name, "ARN") || name == "AccountRoot" || name == "ServiceEndpoint" || m.Type().NumOut() != 1 {
			continue
		}
		var args []reflect.Value
		for j := 0; j < m.Type().NumIn(); j++ {
			args = append(args, reflect.ValueOf(what))
		}
		value := m.Call(args)[0].String()
		for _, p := range []string{placeholders.Project, placeholders.Environment, placeholders.Region, placeholders.AccountID, what} {
			value = strings.ReplaceAll(value, p, "\x00")
		}
		for _, part := range strings.Split(value, "\x00") {
			if strings.Trim(part, "-/") != "" {
				out[part] = name
			}
		}
	}
	out[strings.TrimSuffix(LogGroup(what), what)] = "LogGroup"
	out[MetricNamespace] = "MetricNamespace"
	return out
}

// TestEachNameIsSpelledOnce: no Go string literal outside this package and
// outside tests contains a name's own spelling ("-consent-store-",
// "/guardian/redaction_nonce-", ...): every other package takes its names
// from here.
func TestEachNameIsSpelledOnce(t *testing.T) {
	parts := spellings(t)
	if len(parts) < 20 {
		t.Fatalf("only %d spellings found: %v", len(parts), parts)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	here, _ := os.Getwd()
	checked, err := gofiles.Walk(root, func(path string, _ *token.FileSet, file *ast.File, _ []byte) {
		if filepath.Dir(path) == here {
			return
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if _, isImport := n.(*ast.ImportSpec); isImport {
				return false
			}
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			for part, method := range parts {
				if strings.Contains(s, part) {
					rel, _ := filepath.Rel(root, path)
					t.Errorf("%s spells %q of names.Env.%s in %q: take the name from package names", rel, part, method, s)
				}
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 30 {
		t.Fatalf("checked only %d Go files under %s", checked, root)
	}
}
