// Package policy holds the synth-time security rules of the project, in the
// manner of cdk-nag: every resource of every stack is checked before anything
// is written; a failure names the resource path, the rule, the AWS Foundational
// Security Best Practices (FSBP) control it enforces and the fix; a suppression
// lives next to the resource, carries a written reason, and is reported.
//
// The rules read each stack's synthesized Terraform JSON, so they are plain Go,
// tested without jsii. app.SynthAndPublish synthesizes into a scratch folder,
// runs the rules there, and publishes the output only when no resource is
// insecure. They are not a cdktf Aspect: cdktf invokes aspects inside
// App.Synth, which writes the output and panics on error annotations, so an
// Aspect could not keep a bad stack out of cdktf.out.
package policy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Outcome is what a rule says about one resource.
type Outcome int

// The three outcomes of a rule.
const (
	NotApplicable Outcome = iota
	Compliant
	NonCompliant
)

func (o Outcome) String() string {
	return [...]string{"not-applicable", "compliant", "non-compliant"}[o]
}

// Resource is one resource of a stack's JSON.
type Resource struct {
	Type, Name string
	// Path is the construct path ("staging/datastore/consent/table").
	Path string
	Body map[string]any
}

// Rule checks one property of resources.
type Rule struct {
	// Name says what is checked ("DynamoDBPointInTimeRecovery").
	Name string
	// Control names the standard and control enforced ("FSBP DynamoDB.2":
	// AWS Foundational Security Best Practices; "NIST 800-53 r5 CloudWatch.16":
	// the Security Hub control of the NIST SP 800-53 Rev. 5 standard), or
	// "project" for a rule of this project that no Security Hub control covers.
	Control string
	// Fix says how to comply.
	Fix string
	// Check returns the outcome for r and, when non-compliant, what is wrong.
	Check func(r Resource, s *Stack) (Outcome, string)
}

// Finding is a non-compliant resource.
type Finding struct {
	Stack, Path, Rule, Control, Fix, Detail string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s: %s [%s, %s]: %s; fix: %s", f.Stack, f.Path, f.Rule, f.Control, f.Detail, f.Fix)
}

// Suppressed is a non-compliant resource whose rule is suppressed with a reason.
type Suppressed struct {
	Stack, Path, Rule, Reason string
}

func (s Suppressed) String() string {
	return fmt.Sprintf("%s: %s: %s suppressed: %s", s.Stack, s.Path, s.Rule, s.Reason)
}

// Report is the outcome of checking stacks.
type Report struct {
	Findings   []Finding
	Suppressed []Suppressed
	// Checked counts (resource, rule) pairs that applied.
	Checked int
}

// Err is nil when there are no findings, else one error listing them all.
func (r Report) Err() error {
	if len(r.Findings) == 0 {
		return nil
	}
	lines := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		lines[i] = "  " + f.String()
	}
	return fmt.Errorf("policy: %d insecure resource(s); nothing was written:\n%s", len(r.Findings), strings.Join(lines, "\n"))
}

// Stack is one stack's JSON, with lookups for rules that follow references.
type Stack struct {
	Name      string
	Resources []Resource
	raw       map[string]any
}

// NewStack indexes a stack's Terraform JSON (the parsed cdk.tf.json).
func NewStack(name string, tf map[string]any) *Stack {
	s := &Stack{Name: name, raw: tf}
	resources, _ := tf["resource"].(map[string]any)
	for _, typ := range slices.Sorted(maps.Keys(resources)) {
		byName, _ := resources[typ].(map[string]any)
		for _, n := range slices.Sorted(maps.Keys(byName)) {
			body, _ := byName[n].(map[string]any)
			s.Resources = append(s.Resources, Resource{Type: typ, Name: n, Path: path(body, n), Body: body})
		}
	}
	return s
}

func path(body map[string]any, fallback string) string {
	if p, ok := get(body, "//", "metadata", "path").(string); ok {
		return p
	}
	return fallback
}

// Lookup resolves "${type.name.attr}" or "${data.type.name.attr}" to the body
// of the resource or data source it names.
func (s *Stack) Lookup(ref string) (map[string]any, bool) {
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(ref, "${"), "}"), ".")
	section := "resource"
	if len(parts) > 0 && parts[0] == "data" {
		section, parts = "data", parts[1:]
	}
	if len(parts) < 2 {
		return nil, false
	}
	body, ok := get(s.raw, section, parts[0], parts[1]).(map[string]any)
	return body, ok
}

// All returns the resources of a type.
func (s *Stack) All(typ string) []Resource {
	var out []Resource
	for _, r := range s.Resources {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// Evaluate applies every rule to every resource of the stacks.
func Evaluate(rules []Rule, stacks ...*Stack) Report {
	var rep Report
	for _, s := range stacks {
		for _, r := range s.Resources {
			suppressions, _ := get(r.Body, "//", SuppressionsKey).(map[string]any)
			for name, reason := range suppressions {
				if text, _ := reason.(string); strings.TrimSpace(text) == "" || !known(rules, name) {
					rep.Findings = append(rep.Findings, Finding{Stack: s.Name, Path: r.Path, Rule: name, Control: "project",
						Detail: "a suppression needs a known rule and a written reason", Fix: "name an existing rule and say why it does not apply"})
				}
			}
			for _, rule := range rules {
				outcome, detail := rule.Check(r, s)
				if outcome == NotApplicable {
					continue
				}
				rep.Checked++
				if outcome == Compliant {
					continue
				}
				if reason, ok := suppressions[rule.Name].(string); ok && strings.TrimSpace(reason) != "" {
					rep.Suppressed = append(rep.Suppressed, Suppressed{Stack: s.Name, Path: r.Path, Rule: rule.Name, Reason: reason})
					continue
				}
				rep.Findings = append(rep.Findings, Finding{Stack: s.Name, Path: r.Path, Rule: rule.Name, Control: rule.Control, Fix: rule.Fix, Detail: detail})
			}
		}
	}
	return rep
}

func known(rules []Rule, name string) bool {
	for _, r := range rules {
		if r.Name == name {
			return true
		}
	}
	return false
}

// get walks nested maps.
func get(m any, keys ...string) any {
	cur := m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func boolAt(m map[string]any, keys ...string) bool {
	b, _ := get(m, keys...).(bool)
	return b
}

func stringAt(m map[string]any, keys ...string) string {
	s, _ := get(m, keys...).(string)
	return s
}

// only makes a check apply to one resource type.
func only(typ string, check func(r Resource, s *Stack) (Outcome, string)) func(Resource, *Stack) (Outcome, string) {
	return func(r Resource, s *Stack) (Outcome, string) {
		if r.Type != typ {
			return NotApplicable, ""
		}
		return check(r, s)
	}
}

func verdict(ok bool, problem string) (Outcome, string) {
	if ok {
		return Compliant, ""
	}
	return NonCompliant, problem
}
