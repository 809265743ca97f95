// Package app composes and synthesizes the CDKTF App: per environment, the
// service stack and the state-bootstrap stack of its account. main and the stack tests both go through Synth, so the tests
// synthesize exactly what users deploy.
package app

import (
	"fmt"
	"os"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/config"
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
}

// Synth builds the Lambda packages, composes a stack per environment and
// writes them to outdir ("" lets cdktf choose: $CDKTF_OUTDIR, else cdktf.out).
// Everything that can fail is checked before anything is written there.
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

	cfg := &cdktf.AppConfig{StackTraces: jsii.Bool(false)}
	if outdir != "" {
		cfg.Outdir = jsii.String(outdir)
	}
	a := cdktf.NewApp(cfg)
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
	a.Synth()
	return res, nil
}
