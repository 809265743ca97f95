// Package mermaid writes Mermaid flowcharts for the docs (GitHub renders them
// from a ```mermaid code block) and checks their syntax without a browser:
// balanced subgraphs, valid and defined node ids, labels without the
// characters that end a label or open HTML.
package mermaid

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Shape is how a node is drawn.
type Shape string

// The shapes the docs use.
const (
	Box      Shape = `["%s"]`
	Round    Shape = `("%s")`
	Stadium  Shape = `(["%s"])`
	Database Shape = `[("%s")]`
	Hexagon  Shape = `{{"%s"}}`
)

// Chart is a flowchart: nodes, optionally in subgraphs, and labelled edges.
type Chart struct {
	direction string
	groups    []string            // subgraph ids, in the order first used
	labels    map[string]string   // subgraph id -> title
	members   map[string][]string // subgraph id ("" = top level) -> node lines
	nodes     map[string]bool
	edges     map[string]bool
}

// New starts a flowchart drawn in direction (LR, TB).
func New(direction string) *Chart {
	return &Chart{direction: direction, labels: map[string]string{}, members: map[string][]string{}, nodes: map[string]bool{}, edges: map[string]bool{}}
}

// ID turns any name into a node id: letters, digits and underscores, never
// a Mermaid keyword.
func ID(name string) string {
	id := strings.Trim(nonID.ReplaceAllString(name, "_"), "_")
	return "n_" + id
}

var nonID = regexp.MustCompile(`[^A-Za-z0-9]+`)

// Label makes text safe inside a quoted label: quotes dropped, angle
// brackets as entities, line breaks as <br/>.
func Label(text string) string {
	text = strings.NewReplacer(`"`, "'", "<", "#lt;", ">", "#gt;", "|", "#124;").Replace(text)
	return strings.ReplaceAll(text, "\n", "<br/>")
}

// Group declares a subgraph with a title; nodes join it with Node.
func (c *Chart) Group(id, title string) {
	if _, ok := c.labels[id]; !ok {
		c.groups = append(c.groups, id)
	}
	c.labels[id] = title
}

// Node adds a node (once) to a subgraph ("" for none).
func (c *Chart) Node(group, id, label string, shape Shape) {
	if c.nodes[id] {
		return
	}
	c.nodes[id] = true
	c.members[group] = append(c.members[group], id+fmt.Sprintf(string(shape), Label(label)))
}

// Edge adds an arrow (once) from one node or subgraph to another, labelled
// unless label is empty; dotted draws it dotted.
func (c *Chart) Edge(from, to, label string, dotted bool) {
	arrow := "-->"
	if dotted {
		arrow = "-.->"
	}
	if label != "" {
		arrow += `|"` + Label(label) + `"|`
	}
	c.edges[from+" "+arrow+" "+to] = true
}

// String is the chart as a Markdown code block.
func (c *Chart) String() string {
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart " + c.direction + "\n")
	for _, line := range c.members[""] {
		b.WriteString("  " + line + "\n")
	}
	for _, g := range c.groups {
		b.WriteString("  subgraph " + g + `["` + Label(c.labels[g]) + "\"]\n")
		for _, line := range c.members[g] {
			b.WriteString("    " + line + "\n")
		}
		b.WriteString("  end\n")
	}
	edges := make([]string, 0, len(c.edges))
	for e := range c.edges {
		edges = append(edges, e)
	}
	sort.Strings(edges)
	for _, e := range edges {
		b.WriteString("  " + e + "\n")
	}
	b.WriteString("```\n")
	return b.String()
}
