package tests

import (
	"slices"
	"sort"
	"strings"

	"github.com/phase-mirror/fp-calibration-infra/internal/mermaid"
)

// roleEdges draws, for each Lambda role's inline policy in the stack, an
// edge to every resource a statement names, labelled with the actions (and,
// for the key, the services it may be used through).
func roleEdges(c *mermaid.Chart, s *StackJSON) {
	c.Group("roles", "Lambda roles (made by the state-bootstrap stack)")
	for _, rp := range s.All("aws_iam_role_policy") {
		role := rp.Body.Str("role")
		roleID := mermaid.ID(role)
		c.Node("roles", roleID, "IAM role\n"+role, mermaid.Box)
		actions := map[string][]string{} // target node -> actions
		doc := policyDocument(s, rp.Body.Str("policy"))
		for _, st := range doc.Objs("statement") {
			for _, res := range st.Strings("resources") {
				target := policyTarget(c, res, st)
				actions[target] = appendNew(actions[target], shortActions(st)...)
			}
		}
		targets := make([]string, 0, len(actions))
		for target := range actions {
			targets = append(targets, target)
		}
		sort.Strings(targets)
		for _, target := range targets {
			c.Edge(roleID, target, mergeVia(actions[target]), false)
		}
	}
	for _, f := range s.All("aws_lambda_function") {
		arn := f.Body.Str("role")
		c.Edge(mermaid.ID(f.Name), mermaid.ID(arn[strings.LastIndex(arn, "/")+1:]), "runs as", true)
	}
}

// policyDocument is the policy document a "${data.aws_iam_policy_document.X.json}"
// reference names (nil when it names none).
func policyDocument(s *StackJSON, ref string) Obj {
	n, err := s.resolve(ref)
	if err != nil || n.Type != "aws_iam_policy_document" {
		return nil
	}
	return n.Body
}

// policyTarget is the node a statement's resource stands for: the resource
// a reference names, or a node made for a literal ARN or "*".
func policyTarget(c *mermaid.Chart, resource string, st Obj) string {
	if id := refID(resource); id != "" {
		return id
	}
	label := resource[strings.LastIndex(resource, ":")+1:]
	if resource == "*" {
		for _, cond := range st.Objs("condition") {
			label = "any resource, " + cond.Str("variable") + " = " + strings.Join(cond.Strings("values"), ", ")
		}
	}
	id := mermaid.ID(label)
	c.Node("", id, label, mermaid.Box)
	return id
}

// shortActions are a statement's actions without their service prefix, each
// followed by "via <service>" for each kms:ViaService value.
func shortActions(st Obj) []string {
	via := []string{}
	for _, cond := range st.Objs("condition") {
		if cond.Str("variable") == "kms:ViaService" {
			for _, v := range cond.Strings("values") {
				via = append(via, strings.Split(v, ".")[0])
			}
		}
	}
	out := []string{}
	for _, a := range st.Strings("actions") {
		a = a[strings.Index(a, ":")+1:]
		if len(via) > 0 {
			a += " via " + strings.Join(via, ", ")
		}
		out = append(out, a)
	}
	return out
}

// mergeVia joins actions, writing "Decrypt via a, b" for "Decrypt via a"
// and "Decrypt via b".
func mergeVia(actions []string) string {
	var out []string
	vias := map[string][]string{}
	for _, a := range actions {
		action, via, ok := strings.Cut(a, " via ")
		if !ok {
			out = append(out, a)
			continue
		}
		if vias[action] == nil {
			out = append(out, action)
		}
		vias[action] = append(vias[action], via)
	}
	for i, a := range out {
		if v := vias[a]; v != nil {
			out[i] = a + " via " + strings.Join(v, ", ")
		}
	}
	if len(vias) == 0 {
		return strings.Join(out, ", ")
	}
	return strings.Join(out, "; ")
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}
