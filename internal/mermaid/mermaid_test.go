package mermaid

import (
	"strings"
	"testing"
)

func TestAChartPassesItsOwnCheck(t *testing.T) {
	c := New("LR")
	c.Group("g_tables", "tables <env>")
	c.Node("g_tables", ID("consent-store"), "consent \"store\"\n<env>", Database)
	c.Node("", ID("role"), "role | one", Hexagon)
	c.Node("", ID("role"), "added twice", Box)
	c.Edge(ID("role"), ID("consent-store"), "read <data>", false)
	c.Edge(ID("role"), "g_tables", "", true)
	c.Edge(ID("role"), "g_tables", "", true)
	out := c.String()
	if n := strings.Count(out, "n_role -.-> g_tables"); n != 1 {
		t.Errorf("an edge added twice is drawn %d times", n)
	}
	if err := Check(out); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"subgraph g_tables[\"tables #lt;env#gt;\"]", `n_consent_store[("consent 'store'<br/>#lt;env#gt;")]`, `n_role{{"role #124; one"}}`, `n_role -->|"read #lt;data#gt;"| n_consent_store`, "n_role -.-> g_tables"} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckRefusesBrokenCharts(t *testing.T) {
	for name, body := range map[string]string{
		"no header":        "a[\"x\"]\n",
		"open subgraph":    "flowchart LR\nsubgraph g[\"G\"]\na[\"x\"]\n",
		"stray end":        "flowchart LR\nend\n",
		"undefined node":   "flowchart LR\na[\"x\"]\na --> b\n",
		"keyword id":       "flowchart LR\nend[\"x\"]\n",
		"twice":            "flowchart LR\na[\"x\"]\na[\"y\"]\n",
		"html in label":    "flowchart LR\na[\"x <env>\"]\n",
		"unquoted label":   "flowchart LR\na[x]\n",
		"quote in label":   "flowchart LR\na[\"x \"y\" z\"]\n",
		"html edge label":  "flowchart LR\na[\"x\"]\nb[\"y\"]\na -->|\"<b>\"| b\n",
		"not closed block": "flowchart LR\na[\"x\"]\n",
	} {
		md := "```mermaid\n" + body + "```\n"
		if name == "not closed block" {
			md = "```mermaid\n" + body
		}
		if err := Check(md); err == nil {
			t.Errorf("%s: Check accepted\n%s", name, md)
		}
	}
	if err := Check("no diagram"); err == nil {
		t.Error("Check accepted a text without a diagram")
	}
}
