package tests

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/mdcheck"
	"github.com/phase-mirror/fp-calibration-infra/internal/mdsection"
)

// commandRunners says, for each command a page shows (by its key, see
// commandKey), which test file runs it and the literal that file runs it
// with. Commands that need an AWS account are run by the deploy drill on the
// emulator; the others by the user-path tests in a clean clone.
var commandRunners = map[string]struct{ file, literal string }{
	"go run .":                 {"__tests__/userpaths_test.go", `"go", "run", "."`},
	"go test":                  {".ci/run", "go test ./... ./__tests__"},
	"scripts/validate.sh":      {"__tests__/userpaths_test.go", `"scripts/validate.sh"`},
	"scripts/tf-cli-config.sh": {"drill/drill_test.go", `"tf-cli-config.sh"`},
	"scripts/plan.sh":          {"drill/staging_test.go", `"scripts/plan.sh"`},
	"scripts/apply.sh":         {"drill/staging_test.go", `"scripts/apply.sh"`},
	"scripts/restore.sh":       {"drill/staging_test.go", `"scripts/restore.sh"`},
	"terraform init":           {"drill/staging_test.go", `"init", "-input=false"`},
	"terraform plan":           {"__tests__/terraform_test.go", `"plan", "-input=false"`},
	"terraform apply":          {"drill/staging_test.go", `"apply", "-auto-approve"`},
	"terraform output":         {"drill/drill_test.go", `"output", "-json"`},
	"terraform state push":     {"drill/production_test.go", `"state", "push"`},
	"terraform state list":     {"drill/staging_test.go", `"state", "list"`},
	"terraform state show":     {"drill/staging_test.go", `"state", "show"`},
	"terraform state rm":       {"drill/staging_test.go", `"state", "rm"`},
	"terraform import":         {"drill/staging_test.go", `"import", "-input=false"`},
}

var (
	subshell = regexp.MustCompile(`^export \w+="\$\((.*)\)"$`)
	tfFlag   = regexp.MustCompile(`^-chdir=\S+$`)
)

// commandKey is what identifies a command across its arguments: the script,
// "go run .", "go test", or terraform's subcommand ("terraform state list").
func commandKey(cmd string) string {
	if m := subshell.FindStringSubmatch(cmd); m != nil {
		cmd = m[1]
	}
	if i := strings.LastIndex(cmd, "&& "); i >= 0 {
		cmd = cmd[i+3:]
	}
	words := strings.Fields(cmd)
	switch {
	case len(words) == 0:
		return ""
	case words[0] == "go" && len(words) > 1 && words[1] == "test":
		return "go test"
	case words[0] == "terraform":
		key := []string{"terraform"}
		for _, w := range words[1:] {
			if tfFlag.MatchString(w) {
				continue
			}
			key = append(key, w)
			if w != "state" {
				break
			}
		}
		return strings.Join(key, " ")
	case strings.HasPrefix(words[0], "scripts/"):
		return words[0]
	}
	return cmd
}

// TestEveryDocCommandIsRunByATest: every command shown in a code block of
// README.md or docs/ (the runbooks excepted: their commands act on an AWS
// account during an incident) is run by a test, which runs it as the page
// shows it.
func TestEveryDocCommandIsRunByATest(t *testing.T) {
	files, err := mdsection.Files("..")
	if err != nil {
		t.Fatal(err)
	}
	shown := 0
	for _, f := range files {
		if strings.Contains(f, "/runbooks/") {
			continue
		}
		for _, cmd := range mdcheck.Commands(docText(t, strings.TrimPrefix(f, "../"))) {
			shown++
			runner, ok := commandRunners[commandKey(cmd)]
			if !ok {
				t.Errorf("%s shows %q, which no test runs: run it in the user-path tests (no AWS account) or the deploy drill, and add it to commandRunners", f, cmd)
				continue
			}
			if src, err := os.ReadFile("../" + runner.file); err != nil || !strings.Contains(string(src), runner.literal) {
				t.Errorf("%s shows %q: %s no longer runs it (%s; %v)", f, cmd, runner.file, runner.literal, err)
			}
		}
	}
	if shown < 15 {
		t.Errorf("only %d commands found in the docs", shown)
	}
}

// TestTheReadmeTestCommandIsWhatCIRuns: the last command of the README's
// set-up block, the whole proof, is the command .ci/run ends with, and the
// block's other commands are the synthesis and the inner loop.
func TestTheReadmeTestCommandIsWhatCIRuns(t *testing.T) {
	commands := mdcheck.Commands(docText(t, "README.md"))
	if len(commands) < 3 {
		t.Fatalf("the README's set-up block shows %d commands, want 3: %q", len(commands), commands)
	}
	want := []string{"go run .", "npm ci && go test -short ./... ./__tests__", "npm ci && go test ./... ./__tests__"}
	for i, w := range want {
		if commands[i] != w {
			t.Errorf("README set-up command %d is %q, want %q", i+1, commands[i], w)
		}
	}
	ci, err := os.ReadFile("../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(ci)), "\n")
	if last := lines[len(lines)-1]; last != commands[2] {
		t.Errorf(".ci/run ends with %q, the README's test command is %q", last, commands[2])
	}
}
