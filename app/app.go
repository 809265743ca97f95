// Package app composes and synthesizes the CDKTF App: per environment, the
// service stack and the state-bootstrap stack of its account. main and the stack tests both go through Synth, so the tests
// synthesize exactly what users deploy.
package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/policy"
	"github.com/phase-mirror/fp-calibration-infra/constructs/secrets"
	"github.com/phase-mirror/fp-calibration-infra/constructs/service"
	"github.com/phase-mirror/fp-calibration-infra/constructs/statestore"
	"github.com/phase-mirror/fp-calibration-infra/internal/lambdabuild"
)

// RotatorImportPath is the Go package of the salt rotation Lambda.
const RotatorImportPath = "github.com/phase-mirror/fp-calibration-infra/lambda/saltrotator"

// Result describes a synthesis.
type Result struct {
	Stacks     []*service.Stack
	Bootstraps []*statestore.Bootstrap
	// RotatorPackageBytes is the size of the rotation Lambda's zip.
	RotatorPackageBytes int
	// Policy is what the security rules found (suppressions included).
	Policy policy.Report
}

// Synth builds the Lambda packages, composes the stacks of every environment,
// checks them against the security rules and writes them to outdir ("" means
// $CDKTF_OUTDIR, else cdktf.out). Nothing is written there unless every step
// succeeds.
func Synth(outdir string, envs []config.Environment) (Result, error) {
	build, err := os.MkdirTemp("", "fp-calibration-build-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(build)
	pkg, err := lambdabuild.Build(RotatorImportPath, build, "saltrotator")
	if err != nil {
		return Result{}, err
	}

	// Synthesize into a sibling folder and publish it only when every check
	// passed, so a failure leaves the output folder exactly as it was.
	target, err := outputFolder(outdir)
	if err != nil {
		return Result{}, err
	}
	staging, err := os.MkdirTemp(filepath.Dir(target), "."+filepath.Base(target)+"-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(staging)
	a := cdktf.NewApp(&cdktf.AppConfig{StackTraces: jsii.Bool(false), Outdir: jsii.String(staging)})
	res := Result{RotatorPackageBytes: pkg.Size}
	for _, env := range envs {
		s, err := service.NewStack(a, env, service.Props{
			RotatorPackage: secrets.RotatorPackage{ZipPath: pkg.ZipPath, SHA256: pkg.SHA256},
		})
		if err != nil {
			return Result{}, fmt.Errorf("stack %s: %w", env.Name, err)
		}
		res.Stacks = append(res.Stacks, s)
		boot, err := statestore.NewBootstrap(a, env, service.AWSProviderConstraint)
		if err != nil {
			return Result{}, fmt.Errorf("stack %s: %w", statestore.BootstrapStackName(env.Name), err)
		}
		res.Bootstraps = append(res.Bootstraps, boot)
	}
	stacks := make([]cdktf.TerraformStack, 0, len(res.Stacks)+len(res.Bootstraps))
	for i := range res.Stacks {
		stacks = append(stacks, res.Stacks[i].Stack, res.Bootstraps[i].Stack)
	}
	if res.Policy, err = SynthChecked(a, stacks); err != nil {
		return res, err
	}
	return res, publish(staging, target)
}

// outputFolder is where the App's output goes: outdir, else $CDKTF_OUTDIR
// (set by the cdktf CLI), else cdktf.out.
func outputFolder(outdir string) (string, error) {
	if outdir == "" {
		outdir = os.Getenv("CDKTF_OUTDIR")
	}
	if outdir == "" {
		outdir = "cdktf.out"
	}
	abs, err := filepath.Abs(outdir)
	if err != nil {
		return "", err
	}
	return abs, os.MkdirAll(filepath.Dir(abs), 0o755)
}

// publish replaces the synthesized entries of target (stacks/, manifest.json)
// with those of staging; other files in target are left alone.
func publish(staging, target string) error {
	if err := os.MkdirAll(target, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	for _, e := range entries {
		dst := filepath.Join(target, e.Name())
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(staging, e.Name()), dst); err != nil {
			return err
		}
	}
	return nil
}

// SynthChecked runs the policy rules on every stack's JSON and writes the App
// only when no resource is insecure.
func SynthChecked(a cdktf.App, stacks []cdktf.TerraformStack) (policy.Report, error) {
	checked := make([]*policy.Stack, 0, len(stacks))
	for _, s := range stacks {
		tf, err := normalize(s.ToTerraform())
		if err != nil {
			return policy.Report{}, fmt.Errorf("stack %s: %w", *s.Node().Id(), err)
		}
		checked = append(checked, policy.NewStack(*s.Node().Id(), tf))
	}
	report := policy.Evaluate(policy.Rules, checked...)
	if err := report.Err(); err != nil {
		return report, err
	}
	a.Synth()
	return report, nil
}

// normalize turns what jsii returns into plain JSON values.
func normalize(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	return out, json.Unmarshal(raw, &out)
}
