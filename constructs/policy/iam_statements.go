package policy

import "strings"

// identityStatements returns the statements of the identity policy a role
// policy or managed policy renders from an aws_iam_policy_document, if any.
func identityStatements(r Resource, s *Stack) ([]map[string]any, bool) {
	if r.Type != "aws_iam_role_policy" && r.Type != "aws_iam_policy" {
		return nil, false
	}
	ref := stringAt(r.Body, "policy")
	doc, ok := s.Lookup(ref)
	if !ok || !strings.HasPrefix(ref, "${data.aws_iam_policy_document.") {
		// A literal JSON policy string: the project never writes those.
		return []map[string]any{{"effect": "Allow", "actions": []any{"*"}, "resources": []any{"*"}, "sid": "hand-written JSON policy"}}, true
	}
	var out []map[string]any
	list, _ := doc["statement"].([]any)
	for _, st := range list {
		if m, ok := st.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out, true
}

func stringList(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func allows(st map[string]any) bool {
	e, _ := st["effect"].(string)
	return e == "" || e == "Allow"
}

// checkAllowStatements applies problem to every Allow statement of an identity
// policy; the first problem found makes the resource non-compliant.
func checkAllowStatements(r Resource, s *Stack, problem func(st map[string]any) string) (Outcome, string) {
	statements, ok := identityStatements(r, s)
	if !ok {
		return NotApplicable, ""
	}
	for _, st := range statements {
		if !allows(st) {
			continue
		}
		if p := problem(st); p != "" {
			return NonCompliant, p
		}
	}
	return Compliant, ""
}
