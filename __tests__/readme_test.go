package tests

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/constructs/monitoring"
	"github.com/phase-mirror/fp-calibration-infra/drill"
	"github.com/phase-mirror/fp-calibration-infra/internal/mdsection"
)

// resourceTable renders the README's table of resources per stack from the
// synthesized JSON, so the counts in the README cannot drift.
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

// readmeSection checks (with -update-readme: rewrites) the README section
// between <!-- BEGIN name --> and <!-- END name -->.
func readmeSection(t *testing.T, name, want string) {
	t.Helper()
	if *updateReadme {
		if err := mdsection.Update("../README.md", name, want); err != nil {
			t.Fatal(err)
		}
	}
	if err := mdsection.Check("../README.md", name, want); err != nil {
		t.Error(err)
	}
}

func TestReadmeResourceTableIsTrue(t *testing.T) { readmeSection(t, "resources", resourceTable()) }

// TestReadmeAlarmTableIsTheStacks: the README's alarm table is generated from
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

func TestReadmeListsEveryOutput(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range AllStackNames() {
		for name := range stacks[n].Outputs {
			if !strings.Contains(string(readme), "`"+name+"`") {
				t.Errorf("README.md does not document output %s of %s", name, n)
			}
		}
	}
}

// TestReadmeListsEveryDrillExclusion: the README's table of what the emulator
// cannot do names every resource type the drill leaves out.
func TestReadmeListsEveryDrillExclusion(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range drill.Exclusions {
		if !strings.Contains(string(readme), "| `"+e.Type+"` |") {
			t.Errorf("README.md's Deploy drill section does not list the exclusion %s", e.Type)
		}
	}
}

// addressTypes are the resource types the README's state-operations table
// lists, with the attribute that holds each one's physical name.
var addressTypes = map[string]string{
	"aws_dynamodb_table": "name", "aws_ssm_parameter": "name", "aws_secretsmanager_secret": "name", "aws_kms_alias": "name",
	"aws_iam_role": "name", "aws_sns_topic": "name", "aws_cloudwatch_dashboard": "dashboard_name",
	"aws_cloudwatch_log_group": "name", "aws_lambda_function": "function_name",
}

// addressTable renders the README's table of staging's resource addresses
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

// TestReadmeStateAddressesAreTheJSONs: the README's address table is the
// synthesized one, and every resource address the README names anywhere
// exists in a synthesized stack.
func TestReadmeStateAddressesAreTheJSONs(t *testing.T) {
	readmeSection(t, "addresses", addressTable())
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, m := range regexp.MustCompile(`\b(aws_[a-z0-9_]+)\.([A-Za-z0-9_-]+_[0-9A-F]{8})\b`).FindAllStringSubmatch(string(readme), -1) {
		found++
		exists := false
		for _, name := range AllStackNames() {
			if _, ok := stacks[name].Resources[m[1]][m[2]]; ok {
				exists = true
			}
		}
		if !exists {
			t.Errorf("README.md names %s.%s, which no synthesized stack has", m[1], m[2])
		}
	}
	if found < 10 {
		t.Errorf("README.md names only %d resource addresses", found)
	}
}

// TestReadmeScriptsExist: every script the README tells a user to run exists
// and is executable.
func TestReadmeScriptsExist(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range regexp.MustCompile(`scripts/[a-z-]+\.sh`).FindAllString(string(readme), -1) {
		if seen[m] {
			continue
		}
		seen[m] = true
		info, err := os.Stat("../" + m)
		if err != nil || info.Mode()&0o111 == 0 {
			t.Errorf("README.md tells to run %s, which is missing or not executable: %v", m, err)
		}
	}
	for _, want := range []string{"scripts/smoke.sh", "scripts/drift.sh", "scripts/restore.sh"} {
		if !seen[want] {
			t.Errorf("README.md does not document %s", want)
		}
	}
}
