package drill

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/testrepo"
)

// TestProductionDrill applies production (local state, its own account on
// the emulator) and shows what protects its data: a destroy plan is
// refused by prevent_destroy, and the tables refuse deletion. Then it
// switches production to S3 state the README's way, and a plan is empty: no
// perpetual diff, and nothing lost in the push.
func TestProductionDrill(t *testing.T) {
	needsEmulator(t)
	// Beside staging's drill: the two share no account, folder or state, and
	// staging's critical path is mostly the provider waiting for keys and
	// tables (docs/performance.md); its heavy commands take turns with the
	// other work beside staging's steps (shell.beside). Its account is its
	// own on the one moto server.
	t.Parallel()
	prodEmu := newEmulator(t, production.AccountID)
	project := testrepo.Copy(t, "..")
	sh := newShell(t, project, prodEmu, production.Region)
	sh.beside = true
	// An account that has a GitHub OIDC provider already (IAM allows one per
	// URL): with github_oidc_provider "existing" the bootstrap reads it, and
	// its plan creates none.
	sh.must("aws", "iam", "create-open-id-connect-provider", "--url", "https://token.actions.githubusercontent.com",
		"--client-id-list", "sts.amazonaws.com", "--thumbprint-list", strings.Repeat("a", 40))
	editSettings(t, project, production.Name, func(s map[string]any) { s["github_oidc_provider"] = "existing" })
	sh.must("go", "run", ".")
	boot := "state-bootstrap-" + production.Name
	sh.mustTerraform(boot, "init", "-input=false", "-no-color", "-lockfile=readonly")
	plan := sh.mustTerraform(boot, "plan", "-input=false", "-no-color", "-lock=false")
	if regexp.MustCompile(`# aws_iam_openid_connect_provider\.\S+ will be created`).MatchString(plan) ||
		!strings.Contains(plan, ":oidc-provider/token.actions.githubusercontent.com") {
		t.Errorf("the bootstrap with an existing OIDC provider creates one, or its roles do not trust it:\n%s", tail(plan, 40))
	}
	// The Lambda roles and their boundary are the bootstrap's: applied first.
	bootTargets, _ := targets(t, project, boot)
	roles := []string{}
	for _, target := range bootTargets {
		if strings.Contains(target, "lambda_role_") || strings.Contains(target, "lambda_boundary") {
			roles = append(roles, target)
		}
	}
	sh.mustTerraform(boot, append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, roles...)...)
	_, n := targets(t, project, production.Name)
	sh.mustTerraform(production.Name, "init", "-input=false", "-no-color", "-lockfile=readonly")
	out := sh.waiting().mustTerraform(production.Name, "apply", "-auto-approve", "-input=false", "-no-color")
	if m := applied.FindStringSubmatch(out); m == nil || m[1] != fmt.Sprint(n) {
		t.Fatalf("production applied %v, want %d resources:\n%s", m, n, tail(out, 20))
	}
	out, code := sh.terraform(production.Name, "plan", "-destroy", "-input=false", "-no-color")
	if code == 0 || !strings.Contains(out, "Instance cannot be destroyed") {
		t.Errorf("a destroy plan of production was not refused by prevent_destroy: exit %d\n%s", code, tail(out, 20))
	}
	out, code = sh.run("aws", "dynamodb", "delete-table", "--table-name", "phase-mirror-consent-store-"+production.Name)
	if code == 0 {
		t.Errorf("production's consent table was deleted despite deletion protection:\n%s", out)
	}
	table := sh.must("aws", "dynamodb", "describe-table", "--table-name", "phase-mirror-consent-store-"+production.Name, "--output", "json")
	if !strings.Contains(table, `"DeletionProtectionEnabled": true`) {
		t.Errorf("production's consent table has no deletion protection:\n%s", table)
	}
	// The accounts are apart on the one emulator (x-moto-account-id): from
	// staging's account, production's table does not exist. Terraform's
	// allowed_account_ids proves the same for the provider's calls; this
	// proves it for the aws CLI's.
	other := newShell(t, project, newEmulator(t, staging.AccountID), production.Region)
	if out, code := other.run("aws", "dynamodb", "describe-table", "--table-name", "phase-mirror-consent-store-"+production.Name); code == 0 || !strings.Contains(out, "ResourceNotFoundException") {
		t.Errorf("staging's account sees production's consent table (exit %d): the accounts share the emulator's state\n%s", code, tail(out, 10))
	}

	// The README's switch from local to remote state: a bucket and a key of
	// the account (made here with the CLI), the settings, then state push.
	bucket := "phase-mirror-tfstate-" + production.AccountID + "-" + production.Region
	sh.must("aws", "s3api", "create-bucket", "--bucket", bucket)
	key := strings.TrimSpace(sh.must("aws", "kms", "create-key", "--query", "KeyMetadata.Arn", "--output", "text"))
	editSettings(t, project, production.Name, func(s map[string]any) {
		s["state"] = map[string]any{"backend": "s3", "bucket": bucket, "region": production.Region, "kms_key_arn": key}
	})
	sh.must("go", "run", ".")
	sh.mustTerraform(production.Name, "init", "-input=false", "-no-color", "-lockfile=readonly")
	sh.mustTerraform(production.Name, "state", "push", "../../../terraform.production.tfstate")
	if out, code := sh.terraform(production.Name, "plan", "-detailed-exitcode", "-input=false", "-no-color"); code != 0 {
		t.Errorf("production after the apply and the switch to S3 state: plan exit %d (2 is a perpetual diff or a state lost in the push)\n%s", code, changes(out))
	}
}
