// Command fp-calibration-infra synthesizes the Phase Mirror FP Calibration
// Service infrastructure into Terraform JSON under cdktf.out/stacks/.
//
// Settings are read and validated in full before anything is synthesized, so
// a bad settings file produces one clear error line and no output.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/phase-mirror/fp-calibration-infra/app"
	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/policy"
	"github.com/phase-mirror/fp-calibration-infra/internal/jsiirt"
	"github.com/phase-mirror/fp-calibration-infra/internal/lambdabuild"
)

func main() {
	stderr := os.Stderr
	err := run(os.Args[1:], notesTo(os.Getenv("CDKTF_OUTDIR")))
	jsiirt.Close() // only the exit is left
	if err != nil {
		fmt.Fprintln(stderr, "error: "+err.Error())
		os.Exit(1)
	}
}

// notesTo is where warnings and the rules' summary go: stderr, except when the
// cdktf CLI runs the program (it sets CDKTF_OUTDIR), which labels every line
// of its app's stderr "[ERROR]", on success too; there they go to stdout,
// which it prints as is. Errors always go to stderr.
func notesTo(cdktfOutdir string) io.Writer {
	if cdktfOutdir != "" {
		return os.Stdout
	}
	return os.Stderr
}

// run synthesizes; notes receives warnings, suppressed findings and the
// rules' summary.
func run(args []string, notes io.Writer) error {
	flags := flag.NewFlagSet("fp-calibration-infra", flag.ContinueOnError)
	flags.SetOutput(notes)
	settingsDir := flags.String("settings", "environments", "folder holding <environment>.json settings files")
	outdir := flags.String("out", "", "output folder (default: $CDKTF_OUTDIR, else cdktf.out)")
	locks := flags.String("locks", "locks", "folder holding <stack>/.terraform.lock.hcl, copied into each synthesized stack")
	hcl := flags.String("hcl", "", "also write the HCL rendering of every stack to this folder (<folder>/stacks/<stack>/cdk.tf)")
	buildCache := flags.String("build-cache", lambdabuild.DefaultCacheDir(), "folder keeping the built Lambda packages between runs, keyed by their sources (empty: build every time)")
	if err := flags.Parse(args); err != nil {
		return fmt.Errorf("flags: %w (run with -h for usage)", err)
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("flags: unexpected argument %q; fix: this program takes only -settings, -out, -locks, -hcl and -build-cache", flags.Arg(0))
	}
	envs, err := config.LoadAll(*settingsDir)
	if err != nil {
		return err
	}
	for _, env := range envs {
		for _, w := range env.Warnings {
			fmt.Fprintln(notes, "warning: "+w)
		}
	}
	res, err := app.Synth(app.Options{Outdir: *outdir, Locks: *locks, HCLDir: *hcl, LambdaCache: *buildCache}, envs)
	for _, s := range res.Policy.Suppressed {
		fmt.Fprintln(notes, "policy: "+s.String())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(notes, "policy: %d rules, %d checks passed, %d suppressed, 0 findings\n", len(policy.Rules), res.Policy.Checked-len(res.Policy.Suppressed), len(res.Policy.Suppressed))
	return nil
}
