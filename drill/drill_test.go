package drill

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/internal/testrepo"
)

// Filled by TestMain.
var (
	emu        *emulator          // staging's account
	prodEmu    *emulator          // production's account (one emulator serves one account)
	staging    config.Environment // the shipped settings
	production config.Environment
)

func TestMain(m *testing.M) {
	code, err := setUp(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploy drill:", err)
		code = 1
	}
	os.Exit(code)
}

func setUp(m *testing.M) (int, error) {
	var err error
	if staging, err = config.LoadFile("../environments/staging.json"); err != nil {
		return 1, err
	}
	if production, err = config.LoadFile("../environments/production.json"); err != nil {
		return 1, err
	}
	work, err := os.MkdirTemp("", "fp-calibration-drill-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(work)
	if emu, err = startEmulator(work, staging.AccountID); err != nil {
		return 1, err
	}
	defer emu.Stop()
	if prodEmu, err = startEmulator(filepath.Join(work, "production"), production.AccountID); err != nil {
		return 1, err
	}
	defer prodEmu.Stop()
	// The SDK clients of the tests read the same variables as Terraform, and
	// nothing else of AWS.
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
	for _, kv := range emu.Env(staging.Region) {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	return m.Run(), nil
}

// shell runs a command in the project copy with the emulator's environment.
type shell struct {
	t   *testing.T
	dir string
	env []string
}

func newShell(t *testing.T, dir string, e *emulator, region string) *shell {
	t.Helper()
	out, err := exec.Command(filepath.Join(dir, "scripts", "tf-cli-config.sh")).Output()
	if err != nil {
		t.Fatalf("tf-cli-config.sh: %v", err)
	}
	env := append(withoutAWS(os.Environ()), e.Env(region)...)
	env = append(env, "TF_CLI_CONFIG_FILE="+strings.TrimSpace(string(out)), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20", "NODE_OPTIONS=--max-old-space-size=512")
	return &shell{t: t, dir: dir, env: env}
}

// with is a shell whose environment also has the given variables (a later
// value wins).
func (s *shell) with(env ...string) *shell {
	return &shell{t: s.t, dir: s.dir, env: append(append([]string{}, s.env...), env...)}
}

// run returns the combined output and exit code.
func (s *shell) run(name string, args ...string) (string, int) {
	s.t.Helper()
	out, code := s.exec(name, args...)
	if code < 0 {
		s.t.Fatalf("%s: %s", name, out)
	}
	return out, code
}

// exec is run without the test: safe in a goroutine. A command that could not
// start has exit code -1 and its error as output.
func (s *shell) exec(name string, args ...string) (string, int) {
	cmd := exec.Command(name, args...)
	cmd.Dir = s.dir
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return string(out), exit.ExitCode()
	} else if err != nil {
		return err.Error(), -1
	}
	return string(out), 0
}

func (s *shell) must(name string, args ...string) string {
	s.t.Helper()
	out, code := s.run(name, args...)
	if code != 0 {
		s.t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, tail(out, 60))
	}
	return out
}

// terraform runs terraform in a synthesized stack folder.
func (s *shell) terraform(stack string, args ...string) (string, int) {
	s.t.Helper()
	return s.run("terraform", append([]string{"-chdir=" + filepath.Join("cdktf.out", "stacks", stack)}, args...)...)
}

func (s *shell) mustTerraform(stack string, args ...string) string {
	s.t.Helper()
	out, code := s.terraform(stack, args...)
	if code != 0 {
		s.t.Fatalf("terraform %s (%s): exit %d\n%s", strings.Join(args, " "), stack, code, tail(out, 60))
	}
	return out
}

// changes is the part of a plan's output that says what would change.
func changes(plan string) string {
	out := []string{}
	keep := false
	for _, line := range strings.Split(plan, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "# ") {
			keep = true
		}
		if strings.HasPrefix(line, "Plan:") || strings.HasPrefix(line, "Error") {
			out = append(out, line)
			keep = false
		}
		if keep {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return tail(plan, 40)
	}
	return strings.Join(out, "\n")
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// targets lists -target flags for every resource of a synthesized stack that
// the emulator can create (all but Exclusions), and how many there are.
func targets(t *testing.T, dir, stack string) ([]string, int) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "cdktf.out", "stacks", stack, "cdk.tf.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resource map[string]map[string]any `json:"resource"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for typ, byName := range doc.Resource {
		if Excluded(typ) {
			continue
		}
		for name := range byName {
			out = append(out, "-target="+typ+"."+name)
		}
	}
	slices.Sort(out)
	return out, len(out)
}

// outputs reads a stack's outputs. A targeted apply (the drill's, to leave
// out Exclusions) does not write outputs, so a refresh-only apply records
// them first; it changes no resource.
func outputs(s *shell, stack string) map[string]string {
	s.t.Helper()
	s.mustTerraform(stack, "apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color")
	raw := s.mustTerraform(stack, "output", "-json")
	var doc map[string]struct {
		Value any `json:"value"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		s.t.Fatalf("outputs of %s: %v\n%s", stack, err, raw)
	}
	out := map[string]string{}
	for k, v := range doc {
		out[k] = fmt.Sprint(v.Value)
	}
	return out
}

var applied = regexp.MustCompile(`Apply complete! Resources: (\d+) added, (\d+) changed, (\d+) destroyed`)

// TestDeployDrill deploys staging the way a user does and checks every claim
// of the README's "Deploy drill" section. The steps depend on each other: the
// first failure stops the drill.
func TestDeployDrill(t *testing.T) {
	project := testrepo.Copy(t, "..")
	sh := newShell(t, project, emu, staging.Region)
	boot := "state-bootstrap-" + staging.Name
	step := func(name string, fn func(t *testing.T)) {
		if !t.Run(name, fn) {
			t.FailNow()
		}
	}
	var bootOut map[string]string
	var serviceTargets []string

	// The bootstrap is applied in two parts: everything but the state bucket's
	// lifecycle rules, then those rules, whose creation the AWS provider waits
	// about a minute on (its steady-state check), alongside the deploy of
	// staging. The second part runs in a copy of the stack folder, three levels
	// below the project like the original, so the relative state path holds
	// while later syntheses replace cdktf.out.
	var lifecycle struct {
		done chan struct{}
		out  string
		code int
	}
	step("bootstrap the account with local state", func(t *testing.T) {
		sh.t = t
		sh.must("go", "run", ".")
		tg, n := targets(t, project, boot)
		first, later := []string{}, []string{}
		for _, target := range tg {
			if strings.HasPrefix(target, "-target=aws_s3_bucket_lifecycle_configuration.") {
				later = append(later, target)
			} else {
				first = append(first, target)
			}
		}
		if len(later) != 1 {
			t.Fatalf("%d lifecycle configurations in %s", len(later), boot)
		}
		sh.mustTerraform(boot, "init", "-input=false", "-no-color", "-lockfile=readonly")
		out := sh.mustTerraform(boot, append([]string{"apply", "-auto-approve", "-input=false", "-no-color"}, first...)...)
		if m := applied.FindStringSubmatch(out); m == nil || m[1] != fmt.Sprint(n-1) {
			t.Fatalf("bootstrap applied %v, want %d resources:\n%s", m, n-1, tail(out, 20))
		}
		bootOut = outputs(sh, boot)
		copyDir := filepath.Join(project, ".drill", "stacks", boot)
		if err := os.CopyFS(copyDir, os.DirFS(filepath.Join(project, "cdktf.out", "stacks", boot))); err != nil {
			t.Fatal(err)
		}
		lifecycle.done = make(chan struct{})
		go func() {
			defer close(lifecycle.done)
			lifecycle.out, lifecycle.code = sh.exec("terraform", append([]string{"-chdir=" + copyDir, "apply", "-auto-approve", "-input=false", "-no-color"}, later...)...)
		}()
	})
	defer func() {
		if lifecycle.done != nil {
			<-lifecycle.done
		}
	}()

	step("switch staging to the S3 backend the bootstrap made", func(t *testing.T) {
		sh.t = t
		path := filepath.Join(project, "environments", "staging.json")
		var settings map[string]any
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, &settings); err != nil {
			t.Fatal(err)
		}
		settings["state"] = map[string]any{"backend": "s3", "bucket": bootOut["state_bucket_name"],
			"region": bootOut["state_bucket_region"], "kms_key_arn": bootOut["state_kms_key_arn"]}
		edited, _ := json.MarshalIndent(settings, "", "  ")
		if err := os.WriteFile(path, edited, 0o644); err != nil {
			t.Fatal(err)
		}
	})

	// The deploy and the second plan go through a recording proxy.
	rec, err := startRecorder(emu)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop()
	var deployCalls, planCalls []Call

	step("plan.sh then apply.sh", func(t *testing.T) {
		sh.t = t
		sh.must("go", "run", ".")
		var n int
		serviceTargets, n = targets(t, project, staging.Name)
		recorded := sh.with("AWS_ENDPOINT_URL=" + rec.Endpoint)
		rec.Take()
		out := recorded.must("bash", append([]string{"scripts/plan.sh", staging.Name}, serviceTargets...)...)
		if !strings.Contains(out, fmt.Sprintf("Plan: %d to add, 0 to change, 0 to destroy.", n)) {
			t.Fatalf("plan.sh:\n%s", tail(out, 20))
		}
		out = recorded.must("bash", "scripts/apply.sh", staging.Name, "plans/"+staging.Name+".tfplan")
		if m := applied.FindStringSubmatch(out); m == nil || m[1] != fmt.Sprint(n) {
			t.Fatalf("apply.sh applied %v, want %d resources:\n%s", m, n, tail(out, 20))
		}
		deployCalls = rec.Take()
		state := sh.must("aws", "s3api", "head-object", "--bucket", bootOut["state_bucket_name"], "--key", bootOut["state_key"])
		if !strings.Contains(state, `"ServerSideEncryption": "aws:kms"`) {
			t.Errorf("the state object is not SSE-KMS encrypted:\n%s", state)
		}
	})

	step("a second plan is empty", func(t *testing.T) {
		sh.t = t
		<-lifecycle.done
		if m := applied.FindStringSubmatch(lifecycle.out); lifecycle.code != 0 || m == nil || m[1] != "1" {
			t.Fatalf("the bootstrap's lifecycle rules: exit %d\n%s", lifecycle.code, tail(lifecycle.out, 20))
		}
		for _, stack := range []string{staging.Name, boot} {
			run := sh
			if stack == staging.Name {
				run = sh.with("AWS_ENDPOINT_URL=" + rec.Endpoint) // the plan role's calls
			}
			run.mustTerraform(stack, "init", "-input=false", "-no-color", "-lockfile=readonly")
			rec.Take()
			tg, _ := targets(t, project, stack)
			out, code := run.terraform(stack, append([]string{"plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false"}, tg...)...)
			if code != 0 {
				t.Errorf("%s: second plan exit %d (2 is a perpetual diff):\n%s", stack, code, changes(out))
			}
			if stack == staging.Name {
				planCalls = rec.Take()
			}
		}
	})

	step("the deploy role allows every call of the deploy; the plan role every call of a plan and no change", func(t *testing.T) {
		checkRoles(t, deployCalls, planCalls)
	})

	var serviceOut map[string]string
	step("the application's calls answer", func(t *testing.T) {
		sh.t = t
		serviceOut = outputs(sh, staging.Name)
		applicationCalls(t, serviceOut, countOf(serviceTargets, "aws_cloudwatch_metric_alarm."))
	})

	var salt string
	step("the rotator rotates the salt on the emulator", func(t *testing.T) { salt = rotateOnEmulator(t, serviceOut) })

	step("no secret reaches the plan file or the state", func(t *testing.T) {
		sh.t = t
		// The operators' out-of-band nonce, with the README's command (Data
		// layer), then a refresh that reads the parameter back. (With the key's
		// alias instead of its ARN, SSM records the alias and the next plan
		// would update key_id, writing the parameter again: the README says ARN.)
		nonce := uuid(t) + uuid(t)
		sh.must("aws", "ssm", "put-parameter", "--name", serviceOut["redaction_nonce_parameter_name"], "--type", "SecureString",
			"--key-id", serviceOut["kms_key_arn"], "--overwrite", "--value", nonce)
		sh.mustTerraform(staging.Name, "apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color")
		state := sh.mustTerraform(staging.Name, "state", "pull")
		plan := sh.mustTerraform(staging.Name, "show", "-json", filepath.Join(project, "plans", staging.Name+".tfplan"))
		var doc map[string]any
		if err := json.Unmarshal([]byte(plan), &doc); err != nil {
			t.Fatalf("plan JSON: %v", err)
		}
		delete(doc, "configuration") // holds the placeholder constant, by design
		values, _ := json.Marshal(doc)
		for what, text := range map[string]string{"the state": state, "the plan's values": string(values)} {
			for secret, value := range map[string]string{"the salt": salt, "the nonce": nonce, "the nonce's placeholder": "unset-replace-out-of-band"} {
				if value != "" && strings.Contains(text, value) {
					t.Errorf("%s holds %s", what, secret)
				}
			}
		}
		if !strings.Contains(state, `"has_value_wo": true`) {
			t.Error("the state does not record the nonce as written through value_wo")
		}
	})

	step("two applies at once: one holds the lock, the other is refused", func(t *testing.T) {
		sh.t = t
		target := "-target=" + firstTarget(serviceTargets, "aws_sns_topic.")
		var wg sync.WaitGroup
		results := make([]struct {
			out  string
			code int
		}, 2)
		start := make(chan struct{})
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i].out, results[i].code = sh.exec("terraform", "-chdir="+filepath.Join("cdktf.out", "stacks", staging.Name), "apply", "-auto-approve", "-input=false", "-no-color", target)
			}()
		}
		close(start)
		wg.Wait()
		won, refused := 0, 0
		for _, r := range results {
			switch {
			case r.code == 0:
				won++
			case strings.Contains(r.out, "Error acquiring the state lock"):
				refused++
			default:
				t.Errorf("an apply failed for another reason:\n%s", tail(r.out, 30))
			}
		}
		if won != 1 || refused != 1 {
			t.Fatalf("%d applies succeeded and %d were refused the lock, want 1 and 1", won, refused)
		}
		// The state is intact and still matches the emulator.
		list := strings.Fields(sh.mustTerraform(staging.Name, "state", "list"))
		managed := 0
		for _, a := range list {
			if !strings.HasPrefix(a, "data.") {
				managed++
			}
		}
		if managed != len(serviceTargets) {
			t.Errorf("state holds %d resources after the race, want %d", managed, len(serviceTargets))
		}
		out, code := sh.terraform(staging.Name, append([]string{"plan", "-detailed-exitcode", "-input=false", "-no-color"}, serviceTargets...)...)
		if code != 0 {
			t.Errorf("plan after the race: exit %d\n%s", code, changes(out))
		}
	})

	step("destroy staging", func(t *testing.T) {
		sh.t = t
		out := sh.mustTerraform(staging.Name, append([]string{"destroy", "-auto-approve", "-input=false", "-no-color"}, serviceTargets...)...)
		if !strings.Contains(out, fmt.Sprintf("Destroy complete! Resources: %d destroyed.", len(serviceTargets))) {
			t.Errorf("destroy:\n%s", tail(out, 20))
		}
		tables := sh.must("aws", "dynamodb", "list-tables", "--output", "json")
		for _, name := range []string{"phase-mirror-consent-store-staging", "mirror-dissonance-block-counter-staging"} {
			if strings.Contains(tables, name) {
				t.Errorf("%s still exists after destroy", name)
			}
		}
	})
}

// countOf counts the targets of one resource type.
func countOf(targets []string, prefix string) int {
	n := 0
	for _, tg := range targets {
		if strings.HasPrefix(tg, "-target="+prefix) {
			n++
		}
	}
	return n
}

func firstTarget(targets []string, prefix string) string {
	for _, tg := range targets {
		if strings.HasPrefix(tg, "-target="+prefix) {
			return strings.TrimPrefix(tg, "-target=")
		}
	}
	return ""
}

// jsonOf is a compact rendering for messages.
func jsonOf(v any) string {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	return strings.TrimSpace(b.String())
}
