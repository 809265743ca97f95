package tests

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

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

func TestReadmeResourceTableIsTrue(t *testing.T) {
	if *update {
		if err := mdsection.Update("../README.md", "resources", resourceTable()); err != nil {
			t.Fatal(err)
		}
	}
	if err := mdsection.Check("../README.md", "resources", resourceTable()); err != nil {
		t.Error(err)
	}
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
