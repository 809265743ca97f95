package mermaid

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	header   = regexp.MustCompile(`^flowchart (LR|RL|TB|TD|BT)$`)
	idRe     = `[A-Za-z][A-Za-z0-9_]*`
	labelRe  = `"[^"]*"`
	subgraph = regexp.MustCompile(`^subgraph (` + idRe + `)\[(` + labelRe + `)\]$`)
	node     = regexp.MustCompile(`^(` + idRe + `)(?:\[(` + labelRe + `)\]|\((` + labelRe + `)\)|\(\[(` + labelRe + `)\]\)|\[\((` + labelRe + `)\)\]|\{\{(` + labelRe + `)\}\})$`)
	edge     = regexp.MustCompile(`^(` + idRe + `) (?:-->|-\.->)(?:\|(` + labelRe + `)\|)? (` + idRe + `)$`)
	keywords = map[string]bool{"end": true, "subgraph": true, "graph": true, "flowchart": true, "style": true, "class": true, "classDef": true, "click": true, "default": true, "direction": true, "linkStyle": true}
	htmlTag  = regexp.MustCompile(`<[^>]*>`)
)

// Check checks the syntax of every ```mermaid block of a Markdown text,
// as far as the docs use it: a flowchart header, subgraphs closed by end,
// nodes defined once with a quoted label, edges between defined nodes or
// subgraphs, no keyword as an id, and no raw HTML but <br/> in labels.
func Check(markdown string) error {
	blocks := 0
	for _, part := range strings.Split(markdown, "```mermaid\n")[1:] {
		body, _, ok := strings.Cut(part, "```")
		if !ok {
			return fmt.Errorf("mermaid block %d is not closed", blocks+1)
		}
		blocks++
		if err := checkChart(body); err != nil {
			return fmt.Errorf("mermaid block %d: %w", blocks, err)
		}
	}
	if blocks == 0 {
		return fmt.Errorf("no mermaid block")
	}
	return nil
}

func checkChart(body string) error {
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if !header.MatchString(strings.TrimSpace(lines[0])) {
		return fmt.Errorf("line 1 %q: want flowchart LR|TB|...", lines[0])
	}
	defined, open := map[string]bool{}, 0
	var edges [][]string
	for i, raw := range lines[1:] {
		line, n := strings.TrimSpace(raw), i+2
		var id string
		var labels []string
		switch {
		case line == "end":
			if open--; open < 0 {
				return fmt.Errorf("line %d: end without subgraph", n)
			}
			continue
		case subgraph.MatchString(line):
			m := subgraph.FindStringSubmatch(line)
			id, labels, open = m[1], m[2:], open+1
		case node.MatchString(line):
			m := node.FindStringSubmatch(line)
			id, labels = m[1], m[2:]
		case edge.MatchString(line):
			edges = append(edges, append(edge.FindStringSubmatch(line), fmt.Sprint(n)))
			continue
		default:
			return fmt.Errorf("line %d %q: not a node, subgraph, end or edge", n, line)
		}
		if keywords[id] || defined[id] {
			return fmt.Errorf("line %d: id %q is a keyword or defined twice", n, id)
		}
		defined[id] = true
		if err := checkLabels(labels); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
	}
	if open != 0 {
		return fmt.Errorf("%d subgraph(s) not closed by end", open)
	}
	for _, e := range edges {
		if !defined[e[1]] || !defined[e[3]] {
			return fmt.Errorf("line %s: edge %s -> %s names an undefined node", e[4], e[1], e[3])
		}
		if err := checkLabels(e[2:3]); err != nil {
			return fmt.Errorf("line %s: %w", e[4], err)
		}
	}
	return nil
}

func checkLabels(labels []string) error {
	for _, l := range labels {
		for _, tag := range htmlTag.FindAllString(l, -1) {
			if tag != "<br/>" {
				return fmt.Errorf("label %s holds %s: write #lt; and #gt;", l, tag)
			}
		}
	}
	return nil
}
