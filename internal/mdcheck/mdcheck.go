// Package mdcheck reads the project's Markdown documentation the way GitHub
// renders it: heading anchors, links between pages, the commands shown in
// code blocks, and references to issue numbers, which mean nothing to a
// reader of the docs.
package mdcheck

import (
	"regexp"
	"strconv"
	"strings"
)

// split returns the lines of text outside fenced code blocks, and the lines
// inside them with the info string of their fence ("bash", "", ...).
func split(text string) (prose []string, code []codeLine) {
	fence, info := "", ""
	for _, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case fence == "" && strings.HasPrefix(trimmed, "```"):
			fence, info = "```", strings.TrimSpace(strings.TrimPrefix(trimmed, "```"))
		case fence != "" && strings.HasPrefix(trimmed, fence):
			fence = ""
		case fence != "":
			code = append(code, codeLine{info, line})
		default:
			prose = append(prose, line)
		}
	}
	return prose, code
}

type codeLine struct{ info, text string }

var (
	heading    = regexp.MustCompile(`^#{1,6}\s+(.*?)\s*#*$`)
	htmlAnchor = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	slugDrop   = regexp.MustCompile(`[^\p{L}\p{N}\s_-]`)
	inlineCode = regexp.MustCompile("`[^`]*`")
	link       = regexp.MustCompile(`\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)`)
)

// Slug is the anchor GitHub gives a heading: lower case, punctuation other
// than hyphens and underscores dropped, each space a hyphen.
func Slug(title string) string {
	title = strings.ReplaceAll(title, "`", "")
	title = link.ReplaceAllStringFunc(title, func(m string) string { return m[1:strings.Index(m, "](")] })
	return strings.ReplaceAll(slugDrop.ReplaceAllString(strings.ToLower(title), ""), " ", "-")
}

// Anchors are the anchors of a page: one per heading (a repeated heading
// gets -1, -2, ... as on GitHub) and one per <a id="..."> or <a name="...">.
func Anchors(text string) map[string]bool {
	prose, _ := split(text)
	out, seen := map[string]bool{}, map[string]int{}
	for _, line := range prose {
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			out[m[1]] = true
		}
		m := heading.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		slug := Slug(m[1])
		if n := seen[slug]; n > 0 {
			out[slug+"-"+strconv.Itoa(n)] = true
		} else {
			out[slug] = true
		}
		seen[slug]++
	}
	return out
}

// Links are the targets of the inline links of a page, outside code.
func Links(text string) []string {
	prose, _ := split(text)
	var out []string
	for _, line := range prose {
		for _, m := range link.FindAllStringSubmatch(inlineCode.ReplaceAllString(line, ""), -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// issueRef matches "#15", "issue 22", "issues #13 and", "PR 7" as a reader
// would see them; anchors of links "(#tests)" are removed before matching.
var issueRef = regexp.MustCompile(`(?i)(?:^|[^\w&#/])#\d+\b|\b(?:issue|issues|pr|pull request)\s+#?\d+\b`)

// IssueRefs are the references to issue or pull-request numbers in a page's
// text outside code blocks (link targets excluded).
func IssueRefs(text string) []string {
	prose, _ := split(text)
	var out []string
	for _, line := range prose {
		line = link.ReplaceAllStringFunc(line, func(m string) string { return m[:strings.Index(m, "](")+1] })
		for _, m := range issueRef.FindAllString(line, -1) {
			out = append(out, strings.TrimSpace(m))
		}
	}
	return out
}

// Commands are the shell commands a page shows: every line of a bash or sh
// code block, and every line starting with "$ " in any code block; comments
// and continuation lines are folded away.
func Commands(text string) []string {
	_, code := split(text)
	var out []string
	pending := ""
	for _, c := range code {
		line := strings.TrimSpace(c.text)
		shell := c.info == "bash" || c.info == "sh" || c.info == "shell"
		if strings.HasPrefix(line, "$ ") {
			line, shell = strings.TrimPrefix(line, "$ "), true
		}
		if !shell {
			continue
		}
		if i := strings.Index(line, " #"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			pending += strings.TrimSuffix(line, "\\")
			continue
		}
		out = append(out, pending+line)
		pending = ""
	}
	return out
}
