package mdcheck

import (
	"slices"
	"testing"
)

func TestSlugIsGitHubs(t *testing.T) {
	cases := []struct{ title, want string }{
		{"After a deploy: `scripts/smoke.sh <env>`", "after-a-deploy-scriptssmokesh-env"},
		{"First-time bootstrap (once per account)", "first-time-bootstrap-once-per-account"},
		{"The stacks: what `go run .` produces", "the-stacks-what-go-run--produces"},
		{"Restoring a table: `scripts/restore.sh <env> <table> <time>`", "restoring-a-table-scriptsrestoresh-env-table-time"},
		{"CI roles and their bound", "ci-roles-and-their-bound"},
		{"[Linked](x.md) title", "linked-title"},
	}
	for _, c := range cases {
		if got := Slug(c.title); got != c.want {
			t.Errorf("Slug(%q) = %q, want %q", c.title, got, c.want)
		}
	}
}

func TestAnchorsNumberRepeatedHeadingsAndSkipCode(t *testing.T) {
	doc := "# Page\n## Steps\n## Steps\n```bash\n# not a heading\n```\n<a id=\"custom\"></a>\n"
	got := Anchors(doc)
	for _, want := range []string{"page", "steps", "steps-1", "custom"} {
		if !got[want] {
			t.Errorf("no anchor %q in %v", want, got)
		}
	}
	if got["not-a-heading"] {
		t.Error("a comment in a code block became an anchor")
	}
}

func TestLinksSkipCode(t *testing.T) {
	doc := "See [a](a.md#x) and [b](../b.md \"title\"), not `[c](c.md)`.\n```\n[d](d.md)\n```\n"
	if got := Links(doc); !slices.Equal(got, []string{"a.md#x", "../b.md"}) {
		t.Errorf("Links = %v", got)
	}
}

func TestIssueRefsFindIssuesNotAnchors(t *testing.T) {
	doc := "Fixed in #15 and issue 22; see PR #7.\n" +
		"Not these: [tests](#tests), [step](#13-state-commands), `&#35;`, C#, a#1b\n" +
		"```\nvalue #99 in code\n```\n"
	if got := IssueRefs(doc); !slices.Equal(got, []string{"#15", "issue 22", "PR #7"}) {
		t.Errorf("IssueRefs = %v", got)
	}
}

func TestCommandsAreTheShellLinesOfCodeBlocks(t *testing.T) {
	doc := "```bash\ngo run .   # synthesize\n# a comment\nterraform plan \\\n  -out=x\n```\n" +
		"```\nmain.go   the entry point\n$ scripts/plan.sh staging\n```\n"
	want := []string{"go run .", "terraform plan -out=x", "scripts/plan.sh staging"}
	if got := Commands(doc); !slices.Equal(got, want) {
		t.Errorf("Commands = %q, want %q", got, want)
	}
}
