package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/phase-mirror/fp-calibration-infra/internal/mermaid"
)

// workflowJob is what the tests read of a GitHub Actions job.
type workflowJob struct {
	Permissions map[string]string `yaml:"permissions"`
	Needs       any               `yaml:"needs"`
	Uses        string            `yaml:"uses"`
	With        map[string]string `yaml:"with"`
	Environment string            `yaml:"environment"`
	Strategy    struct {
		Matrix struct {
			Include []map[string]string `yaml:"include"`
		} `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []struct {
		ID   string            `yaml:"id"`
		If   string            `yaml:"if"`
		Uses string            `yaml:"uses"`
		With map[string]string `yaml:"with"`
		Run  string            `yaml:"run"`
	} `yaml:"steps"`
}

// workflows reads .github/workflows/*.yml: file name -> job name -> job.
func workflows(t *testing.T) map[string]map[string]workflowJob {
	t.Helper()
	files, _ := filepath.Glob("../.github/workflows/*.yml")
	out := map[string]map[string]workflowJob{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			Jobs map[string]workflowJob `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(raw, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out[filepath.Base(f)] = wf.Jobs
	}
	if len(out) < 3 {
		t.Fatalf("only %d workflows", len(out))
	}
	return out
}

var (
	scriptRun = regexp.MustCompile(`(?:scripts/[a-z-]+\.sh|\.ci/run)`)
	varRef    = regexp.MustCompile(`vars\.([A-Z_]+)|vars\[matrix\.([a-z_]+)\]|inputs\.([a-z-]+)`)
)

// TestDiagramDelivery draws the delivery path of production from the
// workflows and the synthesized bootstrap stack: docs/delivery.md shows it.
func TestDiagramDelivery(t *testing.T) {
	chart := deliveryChart(t, "production")
	for _, want := range []string{"phase-mirror-deploy-production", "phase-mirror-plan-production", "token.actions.githubusercontent.com", "phase-mirror/production/terraform.tfstate", "scripts/apply.sh"} {
		if !strings.Contains(chart, want) {
			t.Errorf("the delivery diagram does not show %s", want)
		}
	}
	diagramSection(t, "delivery", chart)
}

func deliveryChart(t *testing.T, env string) string {
	boot := stacks[bootstrapOf(env)]
	c := mermaid.New("LR")
	c.Group("github", "GitHub Actions: .github/workflows")
	c.Group("account", "AWS account of "+env+": "+bootstrapOf(env))
	for _, p := range boot.All("aws_iam_openid_connect_provider") {
		c.Node("account", mermaid.ID(p.Name), "OIDC provider\n"+p.Body.Str("url"), mermaid.Hexagon)
	}
	bucket, key := boot.Outputs["state_bucket_name"].Str("value"), boot.Outputs["state_key"].Str("value")
	c.Node("account", "state", "S3 state bucket "+bucket+"\nkey "+key, mermaid.Database)
	stateKey := refID(boot.Outputs["state_kms_key_arn"].Str("value"))
	c.Node("account", stateKey, resourceLabel(boot, boot.ByRef(t, boot.Outputs["state_kms_key_arn"].Str("value")), ""), mermaid.Hexagon)
	c.Node("", "stack", "stack "+env+"\ncdktf.out/stacks/"+env, mermaid.Box)
	wfs := workflows(t)
	for _, file := range sortedKeys(wfs) {
		for _, name := range sortedKeys(wfs[file]) {
			deliveryJob(t, c, boot, env, wfs, file, name, nil)
		}
	}
	for _, r := range boot.All("aws_iam_role") {
		if strings.Contains(r.Name, "ci_") {
			ciRoleEdges(c, boot, r, bucket, stateKey)
		}
	}
	return c.String()
}

// deliveryJob draws one job: what it needs, the reusable workflow it calls,
// the scripts it runs and the role it assumes (callerWith: the inputs of the
// job that called this workflow).
func deliveryJob(t *testing.T, c *mermaid.Chart, boot *StackJSON, env string, wfs map[string]map[string]workflowJob, file, name string, callerWith map[string]string) {
	job := wfs[file][name]
	id := mermaid.ID(file + " " + name)
	label := file + ": " + name
	if job.Uses != "" && job.With["environment"] != env {
		label += "\n(" + job.With["environment"] + ")"
	} else if job.Uses != "" {
		called := filepath.Base(job.Uses)
		for _, sub := range sortedKeys(wfs[called]) {
			deliveryJob(t, c, boot, env, wfs, called, sub, job.With)
			c.Edge(id, mermaid.ID(called+" "+sub), "calls with environment "+env, false)
		}
	}
	if job.Environment != "" {
		label += "\nin GitHub environment " + strings.ReplaceAll(job.Environment, "${{ inputs.environment }}", env)
	}
	scripts := appendNew(nil, scriptRun.FindAllString(runs(job), -1)...)
	if len(scripts) > 0 {
		label += "\nruns " + strings.Join(scripts, ", ")
	}
	c.Node("github", id, label, mermaid.Stadium)
	for _, need := range needs(job) {
		c.Edge(mermaid.ID(file+" "+need), id, "then", false)
	}
	if role := assumedRole(boot, env, job, callerWith); role != "" {
		c.Edge(id, role, "assumes with its OIDC token", false)
		c.Edge(id, "stack", strings.Join(scripts, ", "), false)
	}
}

// runs is the text of a job's run steps.
func runs(job workflowJob) string {
	var b strings.Builder
	for _, s := range job.Steps {
		b.WriteString(s.Run + "\n")
	}
	return b.String()
}

func needs(job workflowJob) []string {
	switch n := job.Needs.(type) {
	case string:
		return []string{n}
	case []any:
		out := []string{}
		for _, v := range n {
			out = append(out, v.(string))
		}
		return out
	}
	return nil
}

// assumedRole is the node of the role a job's configure-aws-credentials
// step assumes for env: the repository variable it names, through the
// caller's inputs or the job's matrix, is the bootstrap output of that name.
func assumedRole(boot *StackJSON, env string, job workflowJob, callerWith map[string]string) string {
	for _, s := range job.Steps {
		expr := s.With["role-to-assume"]
		if !strings.HasPrefix(s.Uses, "aws-actions/configure-aws-credentials@") || expr == "" {
			continue
		}
		m := varRef.FindStringSubmatch(expr)
		if m != nil && m[3] != "" {
			m = varRef.FindStringSubmatch(callerWith[m[3]])
		}
		variable := ""
		switch {
		case m == nil:
		case m[1] != "":
			variable = m[1]
		case m[2] != "":
			for _, row := range job.Strategy.Matrix.Include {
				if row["environment"] == env {
					variable = row[m[2]]
				}
			}
		}
		output := strings.ToLower(strings.TrimPrefix(variable, strings.ToUpper(env)+"_"))
		if o, ok := boot.Outputs[output]; ok {
			return refID(o.Str("value"))
		}
	}
	return ""
}

// ciRoleEdges draws a CI role: the OIDC provider its trust names, and what
// its policy allows on the state objects and the state key.
func ciRoleEdges(c *mermaid.Chart, boot *StackJSON, role Named, bucket, stateKey string) {
	id := mermaid.ID(role.Name)
	c.Node("account", id, "IAM role\n"+role.Body.Str("name"), mermaid.Box)
	for _, st := range policyDocument(boot, role.Body.Str("assume_role_policy")).Objs("statement") {
		conditions := []string{}
		for _, cond := range st.Objs("condition") {
			conditions = append(conditions, cond.Str("variable")[strings.LastIndex(cond.Str("variable"), ":")+1:])
		}
		for _, p := range st.Objs("principals") {
			for _, ident := range p.Strings("identifiers") {
				c.Edge(id, refID(ident), "trusts its tokens, on the claims "+strings.Join(conditions, ", "), true)
			}
		}
	}
	for _, rp := range boot.All("aws_iam_role_policy") {
		if rp.Body.Str("role") != role.Ref("name") {
			continue
		}
		toState, toKey := []string{}, []string{}
		for _, st := range policyDocument(boot, rp.Body.Str("policy")).Objs("statement") {
			for _, res := range st.Strings("resources") {
				if st.Str("effect") == "Deny" {
					continue
				}
				if strings.Contains(res, ":::"+bucket+"/") {
					toState = appendNew(toState, shortActions(st)...)
				}
				if refID(res) == stateKey {
					toKey = appendNew(toKey, shortActions(st)...)
				}
			}
		}
		sort.Strings(toState)
		c.Edge(id, "state", strings.Join(toState, ", "), false)
		c.Edge(id, stateKey, strings.Join(toKey, ", "), false)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
