// Package app composes the CDKTF App: one service stack per environment. main
// and the stack tests both build the App through it, so the tests synthesize
// exactly what users deploy.
package app

import (
	"fmt"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/service"
)

// New builds an App writing to outdir ("" lets cdktf choose: $CDKTF_OUTDIR or
// cdktf.out) with a stack per environment. Nothing is written until Synth.
func New(outdir string, envs []config.Environment) (cdktf.App, []*service.Stack, error) {
	cfg := &cdktf.AppConfig{StackTraces: jsii.Bool(false)}
	if outdir != "" {
		cfg.Outdir = jsii.String(outdir)
	}
	a := cdktf.NewApp(cfg)
	stacks := make([]*service.Stack, 0, len(envs))
	for _, env := range envs {
		s, err := service.NewStack(a, env)
		if err != nil {
			return nil, nil, fmt.Errorf("stack %s: %w", env.Name, err)
		}
		stacks = append(stacks, s)
	}
	return a, stacks, nil
}
