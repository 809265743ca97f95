// Package app composes and synthesizes the CDKTF App: per environment, the
// service stack and the state-bootstrap stack of its account. main and the
// stack tests both go through Synth, so the tests synthesize exactly what
// users deploy.
package app

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/bootstrap"
	"github.com/phase-mirror/fp-calibration-infra/constructs/policy"
	"github.com/phase-mirror/fp-calibration-infra/constructs/salt"
	"github.com/phase-mirror/fp-calibration-infra/constructs/service"
)

// RotatorImportPath is the Go package of the salt rotation Lambda.
const RotatorImportPath = "github.com/phase-mirror/fp-calibration-infra/lambda/saltrotator"

// Result describes a synthesis.
type Result struct {
	Stacks     []*service.Stack
	Bootstraps []*bootstrap.Bootstrap
	// RotatorPackageBytes is the size of the rotation Lambda's zip.
	RotatorPackageBytes int
	// Policy is what the security rules found (suppressions included).
	Policy policy.Report
}

// Options says where a synthesis writes.
type Options struct {
	// Outdir is the output folder ("" means $CDKTF_OUTDIR, else cdktf.out).
	Outdir string
	// Locks holds <stack>/.terraform.lock.hcl, copied into each stack folder
	// ("" copies none).
	Locks string
	// HCLDir, when set, also receives the HCL rendering of every stack
	// (<HCLDir>/stacks/<stack>/cdk.tf, as `cdktf synth --hcl` writes it), from
	// the same synthesis.
	HCLDir string
	// LambdaCache keeps the built Lambda packages between syntheses, keyed
	// by their sources (lambdabuild.Cache); "" builds every time.
	LambdaCache string
}

// Synth builds the Lambda packages, composes the stacks of every environment,
// checks them against the security rules and writes them as opts says, each
// stack with its committed provider lock file. Nothing is written unless the
// synthesis and the rules succeed; the HCL rendering (opts.HCLDir) is written
// after the stacks are published.
func Synth(opts Options, envs []config.Environment) (Result, error) {
	outdir := opts.Outdir
	// Build the Lambda package while the Node runtime of jsii starts and loads
	// the provider bindings; the salt waits for it only when it is composed.
	build, err := os.MkdirTemp("", "fp-calibration-build-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(build)
	rotator := buildInBackground(build, opts.LambdaCache)
	defer rotator() // never return while the build still writes into build

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
	// cdktf's validations are skipped. They check two things: that each
	// stack configures the providers of its resources, which
	// synthCheckAndPublish checks in Go on the JSON (missingProviders), and
	// that the machine's Terraform supports moved and import blocks (>= 1.5),
	// by running `terraform version` through a shell once per stack that has
	// them (every stack here): 0.2 s of each synthesis, and a panic without
	// terraform on PATH. The machine that synthesizes is not the one that
	// runs Terraform: every stack's required_version (pins.TerraformVersion,
	// >= 1.11) makes Terraform itself refuse an older release where it runs.
	a := cdktf.NewApp(&cdktf.AppConfig{StackTraces: jsii.Bool(false), Outdir: jsii.String(staging), SkipValidation: jsii.Bool(true)})
	res := Result{}
	props := service.Props{RotatorPackage: func() (salt.RotatorPackage, error) {
		pkg, err := rotator()
		res.RotatorPackageBytes = pkg.Size
		return salt.RotatorPackage{ZipPath: pkg.ZipPath, SHA256: pkg.SHA256}, err
	}}
	for _, env := range envs {
		props.Env = env
		s, err := service.NewStack(a, env.Name, props)
		if err != nil {
			return Result{}, fmt.Errorf("stack %s: %w", env.Name, err)
		}
		res.Stacks = append(res.Stacks, s)
		bootProps, err := service.BootstrapProps(env)
		if err != nil {
			return Result{}, fmt.Errorf("stack %s: %w", service.Names(env).BootstrapStack(), err)
		}
		boot, err := bootstrap.New(a, service.Names(env).BootstrapStack(), bootProps)
		if err != nil {
			return Result{}, fmt.Errorf("stack %s: %w", service.Names(env).BootstrapStack(), err)
		}
		res.Bootstraps = append(res.Bootstraps, boot)
	}
	res.Policy, err = synthCheckAndPublish(a, staging, target, opts.Locks)
	if err == nil && opts.HCLDir != "" {
		err = writeHCL(a, target, opts.HCLDir, opts.Locks)
	}
	return res, err
}

// SynthAndPublish synthesizes a, whose output folder must be staging, checks
// every synthesized stack against the security rules, and moves the output to
// target only when no resource is insecure: on a finding, target is untouched.
//
// The rules always read the stack's Terraform JSON. In HCL mode (the cdktf CLI's
// `synth --hcl` sets SYNTH_HCL_OUTPUT, and the library then writes cdk.tf), that
// JSON is not on disk, so it is taken from the stack itself.
func SynthAndPublish(a cdktf.App, staging, target string) (policy.Report, error) {
	return synthCheckAndPublish(a, staging, target, "")
}

func synthCheckAndPublish(a cdktf.App, staging, target, locks string) (policy.Report, error) {
	a.Synth()
	written, err := readManifest(staging)
	if err != nil {
		return policy.Report{}, err
	}
	checked := make([]*policy.Stack, 0, len(written))
	for _, w := range written {
		tf, err := stackJSON(a, staging, w)
		if err != nil {
			return policy.Report{}, fmt.Errorf("stack %s: %w", w.name, err)
		}
		if !strings.HasSuffix(w.path, ".tf.json") {
			terraform, _ := tf["terraform"].(map[string]any)
			if err := repairHCL(filepath.Join(staging, w.path), terraform); err != nil {
				return policy.Report{}, fmt.Errorf("stack %s: %w", w.name, err)
			}
		}
		if err := checkProviders(w.name, tf); err != nil {
			return policy.Report{}, err
		}
		checked = append(checked, policy.NewStack(w.name, tf))
	}
	report := policy.Evaluate(policy.Rules, checked...)
	if err := report.Err(); err != nil {
		return report, err
	}
	if locks != "" {
		for _, w := range written {
			if err := copyLockFile(locks, staging, w); err != nil {
				return report, err
			}
		}
	}
	return report, publish(staging, target)
}

// LockFileName is Terraform's dependency lock file.
const LockFileName = ".terraform.lock.hcl"

// copyLockFile puts the committed lock file of a stack beside its synthesized
// configuration, so every `terraform init` there (scripts, tests, the cdktf
// CLI) installs exactly the locked provider; a synthesis replaces the stack
// folder, so the lock file lives outside it, in locks/<stack>/.
func copyLockFile(locks, outdir string, w writtenStack) error {
	src := filepath.Join(locks, w.name, LockFileName)
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("stack %s: %w; fix: commit its provider lock file (docs/operations.md, Upgrading the AWS provider: scripts/update-locks.sh)", w.name, err)
	}
	return os.WriteFile(filepath.Join(outdir, filepath.Dir(w.path), LockFileName), data, 0o644)
}

// writtenStack is one stack of the synthesis manifest.
type writtenStack struct {
	name string
	path string // synthesized file, relative to the output folder
}

// readManifest lists the synthesized stacks, sorted by name, from the
// manifest.json the library writes beside them.
func readManifest(outdir string) ([]writtenStack, error) {
	raw, err := os.ReadFile(filepath.Join(outdir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("synthesis wrote no manifest: %w", err)
	}
	var m struct {
		Stacks map[string]struct {
			SynthesizedStackPath string `json:"synthesizedStackPath"`
		} `json:"stacks"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("manifest.json: %w", err)
	}
	out := make([]writtenStack, 0, len(m.Stacks))
	for _, name := range slices.Sorted(maps.Keys(m.Stacks)) {
		out = append(out, writtenStack{name: name, path: m.Stacks[name].SynthesizedStackPath})
	}
	return out, nil
}

// stackJSON is the Terraform JSON of a synthesized stack: the file when the
// synthesis wrote JSON, else (HCL) what the stack renders as JSON.
func stackJSON(a cdktf.App, outdir string, w writtenStack) (map[string]any, error) {
	var raw []byte
	if strings.HasSuffix(w.path, ".tf.json") {
		b, err := os.ReadFile(filepath.Join(outdir, w.path))
		if err != nil {
			return nil, err
		}
		raw = b
	} else {
		stack, err := stackOf(a, w.name)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(stack.ToTerraform())
		if err != nil {
			return nil, err
		}
		raw = b
	}
	var tf map[string]any
	if err := json.Unmarshal(raw, &tf); err != nil {
		return nil, err
	}
	return tf, nil
}

// stackOf is the app's stack of that name.
func stackOf(a cdktf.App, name string) (cdktf.TerraformStack, error) {
	child := a.Node().TryFindChild(jsii.String(name))
	if child == nil {
		return nil, fmt.Errorf("the app has no stack %q", name)
	}
	return cdktf.TerraformStack_Of(child), nil
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
