package tests

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/constructs/monitoring"
	"github.com/phase-mirror/fp-calibration-infra/drill"
	"github.com/phase-mirror/fp-calibration-infra/internal/mdsection"
)

// resourceTable renders the table of resources per stack (docs/architecture.md)
// from the synthesized JSON, so the counts cannot drift.
func resourceTable() string {
	names := AllStackNames()
	types := map[string]bool{}
	for _, n := range names {
		for typ := range stacks[n].Resources {
			types[typ] = true
		}
	}
	sorted := make([]string, 0, len(types))
	for typ := range types {
		sorted = append(sorted, typ)
	}
	sort.Strings(sorted)
	var b strings.Builder
	b.WriteString("| resource type | " + strings.Join(names, " | ") + " |\n|---|" + strings.Repeat("---|", len(names)) + "\n")
	totals := make([]int, len(names))
	for _, typ := range sorted {
		b.WriteString("| `" + typ + "` |")
		for i, n := range names {
			c := stacks[n].Count(typ)
			totals[i] += c
			fmt.Fprintf(&b, " %d |", c)
		}
		b.WriteString("\n")
	}
	b.WriteString("| **total** |")
	for _, c := range totals {
		fmt.Fprintf(&b, " **%d** |", c)
	}
	b.WriteString("\n")
	return b.String()
}

// docsMu serializes the checks and rewrites of generated sections.
var docsMu sync.Mutex

// readmeSection checks (with -update-readme: rewrites) the generated section
// between <!-- BEGIN name --> and <!-- END name --> in whichever file of
// README.md and docs/ holds it.
func readmeSection(t *testing.T, name, want string) {
	t.Helper()
	docsMu.Lock() // tests run in parallel; a rewrite reads and writes a whole page
	defer docsMu.Unlock()
	if err := mdsection.Sync("..", name, want, *updateReadme); err != nil {
		t.Error(err)
	}
}

// docText is the text of a page of the documentation (a path from the
// project's root, e.g. "docs/operations.md"); with no page, the text of
// README.md and every page under docs/.
func docText(t *testing.T, pages ...string) string {
	t.Helper()
	if len(pages) == 0 {
		var err error
		if pages, err = mdsection.Files(".."); err != nil {
			t.Fatal(err)
		}
		for i := range pages {
			pages[i] = strings.TrimPrefix(pages[i], "../")
		}
	}
	var b strings.Builder
	for _, p := range pages {
		raw, err := os.ReadFile("../" + p)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(raw)
	}
	return b.String()
}

func TestReadmeResourceTableIsTrue(t *testing.T) { readmeSection(t, "resources", resourceTable()) }

// TestReadmeAlarmTableIsTheStacks: the alarm table of docs/architecture.md is generated from
// the alarm specs staging is built from; production's alarms, shown the same
// way, are the same set.
func TestReadmeAlarmTableIsTheStacks(t *testing.T) {
	tables := map[string]string{}
	for _, s := range synthResult.Stacks {
		tables[s.Env.Name] = monitoring.AlarmTable(s.Names, s.Monitoring.Specs)
	}
	if tables["staging"] != tables["production"] {
		t.Errorf("staging's and production's alarm tables differ:\n%s\n%s", tables["staging"], tables["production"])
	}
	if n := strings.Count(tables["staging"], "\n| `"); n != len(synthResult.Stacks[0].Monitoring.Specs) {
		t.Errorf("the table has %d alarm rows, the stack %d alarms", n, len(synthResult.Stacks[0].Monitoring.Specs))
	}
	readmeSection(t, "alarms", tables["staging"])
}

func TestDocsListEveryOutput(t *testing.T) {
	page := docText(t, "docs/architecture.md")
	for _, n := range AllStackNames() {
		for name := range stacks[n].Outputs {
			if !strings.Contains(page, "`"+name+"`") {
				t.Errorf("docs/architecture.md (Outputs) does not document output %s of %s", name, n)
			}
		}
	}
}

// TestDocsListWhatTheDrillFakes: the testing page's table of what the
// drill's proxy answers for the emulator names every faked resource type and
// call.
func TestDocsListWhatTheDrillFakes(t *testing.T) {
	_, faked, _ := strings.Cut(docText(t, "docs/testing.md"), "<!-- faked -->")
	for _, g := range drill.Faked {
		if !strings.Contains(faked, "| `"+g.Type+"` |") {
			t.Errorf("docs/testing.md's Deploy drill section does not list %s in the table of faked types and calls (after <!-- faked -->)", g.Type)
		}
	}
}

// addressTypes are the resource types the state-operations table (docs/operations.md)
// lists, with the attribute that holds each one's physical name.
var addressTypes = map[string]string{
	"aws_dynamodb_table": "name", "aws_ssm_parameter": "name", "aws_secretsmanager_secret": "name", "aws_kms_alias": "name",
	"aws_iam_role": "name", "aws_sns_topic": "name", "aws_cloudwatch_dashboard": "dashboard_name",
	"aws_cloudwatch_log_group": "name", "aws_lambda_function": "function_name",
}

// addressTable renders the table of staging's resource addresses
// from the synthesized JSON.
func addressTable() string {
	rows := []string{}
	s := stacks["staging"]
	for typ, attr := range addressTypes {
		for name, body := range s.Resources[typ] {
			rows = append(rows, fmt.Sprintf("| `%s` | `%s.%s` |", body.Str(attr), typ, name))
		}
	}
	for name := range s.Resources["aws_kms_key"] {
		rows = append(rows, fmt.Sprintf("| the key behind `alias/phase-mirror-secrets-staging` | `aws_kms_key.%s` |", name))
	}
	sort.Strings(rows)
	return "| resource (staging; production has the same addresses) | address |\n|---|---|\n" + strings.Join(rows, "\n") + "\n"
}

// TestDocsStateAddressesAreTheJSONs: the operations page's address table is
// the synthesized one, and every resource address the docs name anywhere
// exists in a synthesized stack.
func TestDocsStateAddressesAreTheJSONs(t *testing.T) {
	readmeSection(t, "addresses", addressTable())
	found := 0
	for _, m := range regexp.MustCompile(`\b(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+_[0-9A-F]{8})\b`).FindAllStringSubmatch(docText(t), -1) {
		found++
		exists := false
		for _, name := range AllStackNames() {
			if _, ok := stacks[name].Resources[m[1]][m[2]]; ok {
				exists = true
			}
		}
		if !exists {
			t.Errorf("the docs name %s.%s, which no synthesized stack has", m[1], m[2])
		}
	}
	if found < 10 {
		t.Errorf("the docs name only %d resource addresses", found)
	}
}

// TestDocsScriptsExist: every script the docs tell a user to run exists and
// is executable.
func TestDocsScriptsExist(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`scripts/[a-z-]+\.sh`).FindAllString(docText(t), -1) {
		if seen[m] {
			continue
		}
		seen[m] = true
		info, err := os.Stat("../" + m)
		if err != nil || info.Mode()&0o111 == 0 {
			t.Errorf("the docs tell to run %s, which is missing or not executable: %v", m, err)
		}
	}
	for _, want := range []string{"scripts/smoke.sh", "scripts/drift.sh", "scripts/restore.sh"} {
		if !seen[want] {
			t.Errorf("the docs do not document %s", want)
		}
	}
}
