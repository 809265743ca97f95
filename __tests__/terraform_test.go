package tests

import (
	"encoding/json"
	"slices"

	"github.com/phase-mirror/fp-calibration-infra/drill"

	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/app"
	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
	"github.com/phase-mirror/fp-calibration-infra/internal/childgc"
	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
	"github.com/phase-mirror/fp-calibration-infra/internal/tier"
)

// offlineOverride makes a stack plannable with no AWS account: fake
// credentials, no account checks, and a throw-away local state. Terraform
// merges *_override.tf.json files over the synthesized configuration.
const offlineOverride = `{
  "terraform": {"backend": {"local": {"path": "offline.tfstate"}}},
  "provider": {"aws": [{
    "access_key": "offline-plan-no-credentials",
    "secret_key": "offline-plan-not-a-secret",
    "skip_credentials_validation": true,
    "skip_requesting_account_id": true,
    "skip_metadata_api_check": "true",
    "allowed_account_ids": null
  }]}
}`

var (
	cliConfigOnce sync.Once
	cliConfig     string
	cliConfigErr  error
	// cliCache: the config has a plugin cache (initMu).
	cliCache bool
)

// initMu holds the tests' terraform init commands to one at a time when
// the CLI configuration has a plugin cache (a machine without the provider
// mirror: GitHub's runners). Terraform unpacks a provider into the cache in
// place, and an init beside it can take the half-written copy for a corrupt
// one ("doesn't match any of the checksums recorded in the dependency lock
// file": hashicorp/terraform#31964).
var initMu sync.Mutex

// usesPluginCache tells whether the Terraform CLI configuration at path
// sets plugin_cache_dir.
func usesPluginCache(path string) bool {
	raw, err := os.ReadFile(path)
	return err == nil && pluginCacheDir.Match(raw)
}

var pluginCacheDir = regexp.MustCompile(`(?m)^\s*plugin_cache_dir\s*=`)

// terraformEnv is the environment every terraform command of the tests runs with.
func terraformEnv(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Fatal("terraform is not on PATH: install Terraform >= 1.6 (see README, first lines)")
	}
	cliConfigOnce.Do(func() {
		out, err := exec.Command("../scripts/tf-cli-config.sh").Output()
		cliConfig, cliConfigErr = strings.TrimSpace(string(out)), err
		cliCache = err == nil && usesPluginCache(cliConfig)
	})
	if cliConfigErr != nil {
		t.Fatalf("scripts/tf-cli-config.sh: %v", cliConfigErr)
	}
	return append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1", "TF_INPUT=0")
}

// workdir copies a synthesized stack folder (with its assets) into a temp dir
// and adds the offline override.
func workdir(t *testing.T, stack string, edit func(raw []byte) []byte) string {
	t.Helper()
	dst := t.TempDir()
	if err := copyStack(dst, stack, edit); err != nil {
		t.Fatal(err)
	}
	return dst
}

// copyStack copies a synthesized stack folder into dst, edits its JSON and
// adds the offline override.
func copyStack(dst, stack string, edit func(raw []byte) []byte) error {
	if err := os.CopyFS(dst, os.DirFS(filepath.Join(outdir, "stacks", stack))); err != nil {
		return err
	}
	if edit != nil {
		path := filepath.Join(dst, "cdk.tf.json")
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, edit(raw), 0o644); err != nil {
			return err
		}
	}
	return os.WriteFile(filepath.Join(dst, "offline_override.tf.json"), []byte(offlineOverride), 0o644)
}

func terraform(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	return terraformWith(t, nil, dir, args...)
}

// terraformWith runs terraform with env added to terraformEnv's. A command
// that starts the provider takes a heavy turn, and runs with a small heap
// (childgc.Crowded) when the machine is crowded (synthlock.Crowded).
func terraformWith(t *testing.T, env []string, dir string, args ...string) (string, error) {
	t.Helper()
	if synthlock.LoadsProvider(args...) {
		defer heavy.take()()
	}
	return terraformInTurn(t, env, dir, args...)
}

// terraformInTurn is terraformWith for a caller that holds a heavy turn
// already (heavy.take), for commands that follow each other.
func terraformInTurn(t *testing.T, env []string, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("terraform", append([]string{"-chdir=" + dir}, args...)...)
	cmd.Env = append(terraformEnv(t), env...)
	if len(args) > 0 && args[0] == "init" && cliCache {
		initMu.Lock()
		defer initMu.Unlock()
	}
	if synthlock.LoadsProvider(args...) && env == nil && synthlock.Crowded() { // a caller's heap wins
		cmd.Env = append(cmd.Env, childgc.Crowded...)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustTerraform(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := terraform(t, dir, args...)
	if err != nil {
		t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// Plan is the part of `terraform show -json` the tests read.
type Plan struct {
	ResourceChanges []struct {
		Address string `json:"address"`
		Type    string `json:"type"`
		Change  struct {
			Actions []string       `json:"actions"`
			After   map[string]any `json:"after"`
		} `json:"change"`
	} `json:"resource_changes"`
	PriorState struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Type    string         `json:"type"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	} `json:"prior_state"`
}

// once holds a result computed once per stack and shared by tests.
type once[T any] struct {
	sync.Once
	val T
	err error
}

// perStack returns the result of compute for stack, computed once.
func perStack[T any](mu *sync.Mutex, m map[string]*once[T], stack string, compute func() (T, error)) (T, error) {
	mu.Lock()
	o, ok := m[stack]
	if !ok {
		o = &once[T]{}
		m[stack] = o
	}
	mu.Unlock()
	o.Do(func() {
		// Kept if compute stops its test (t.Fatal): the others then fail too,
		// instead of reading a zero result.
		o.err = fmt.Errorf("%s: the test that computed this stopped (its failure says why)", stack)
		o.val, o.err = compute()
	})
	return o.val, o.err
}

// offlinePlanResult is one stack's offline plan.
type offlinePlanResult struct {
	plan *Plan
	raw  string // terraform show -json output
}

var (
	stacksMu    sync.Mutex
	validated   = map[string]*once[string]{}            // the folder where all stacks were validated as modules
	initialized = map[string]*once[string]{}            // stack -> its initialized folder (offline plans)
	plans       = map[string]*once[offlinePlanResult]{} // stack -> its offline plan
)

// offlineInitialized is a copy of a synthesized stack, initialized with the
// committed lock file (read-only), for the full tier's offline plan; done once
// per stack, in a folder that lives as long as the test binary. It is not
// validated apart: a plan validates its root first (import blocks and the
// stack's provider block included), with the same checks as terraform
// validate. Its backend is the offline override's local file.
func offlineInitialized(t *testing.T, stack string) string {
	t.Helper()
	dir, err := perStack(&stacksMu, initialized, stack, func() (string, error) {
		dir, err := os.MkdirTemp(scratch, stack+"-")
		if err != nil {
			return "", err
		}
		if err := copyStack(dir, stack, nil); err != nil {
			return "", err
		}
		return dir, initAndValidate(t, dir, stack, false)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// initAndValidate runs terraform init with the committed lock file, then
// validate when asked, in dir (what names it in an error).
func initAndValidate(t *testing.T, dir, what string, validate bool) error {
	steps := [][]string{{"init", "-input=false", "-no-color", "-lockfile=readonly"}}
	if validate {
		steps = append(steps, []string{"validate", "-no-color"})
	}
	for _, args := range steps {
		// validate loads the provider's whole schema; of every stack, it is
		// the inner loop's peak: a small heap keeps it about 150 MiB lower.
		var env []string
		if args[0] == "validate" {
			env = childgc.SmallHeap
		}
		if out, err := terraformWith(t, env, dir, args...); err != nil {
			return fmt.Errorf("%s: terraform %s: %v\n%s", what, strings.Join(args, " "), err, out)
		}
	}
	return nil
}

// offlinePlan plans a validated stack offline (full tier: a plan loads the
// provider and evaluates every resource); computed once per stack and shared.
func offlinePlan(t *testing.T, stack string) *Plan {
	t.Helper()
	return offlinePlanOf(t, stack).plan
}

// offlinePlanJSON is the raw plan JSON of a stack.
func offlinePlanJSON(t *testing.T, stack string) string {
	t.Helper()
	return offlinePlanOf(t, stack).raw
}

func offlinePlanOf(t *testing.T, stack string) offlinePlanResult {
	t.Helper()
	tier.Full(t, "a terraform plan of "+stack+" loads the provider and evaluates every resource")
	dir := offlineInitialized(t, stack)
	res, err := perStack(&stacksMu, plans, stack, func() (offlinePlanResult, error) {
		// The plan and its show in one turn: in two, the clean-clone test's
		// commands, which go first, held a show back 28 s, to the whole
		// proof's end (measured), and the tests that read it with it.
		defer heavy.take()()
		if out, err := terraformInTurn(t, nil, dir, "plan", "-input=false", "-no-color", "-lock=false", "-out=offline.tfplan"); err != nil {
			return offlinePlanResult{}, fmt.Errorf("%s: terraform plan: %v\n%s", stack, err, out)
		}
		raw, err := terraformInTurn(t, nil, dir, "show", "-json", "offline.tfplan")
		if err != nil {
			return offlinePlanResult{}, fmt.Errorf("%s: terraform show: %v\n%s", stack, err, raw)
		}
		var p Plan
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			return offlinePlanResult{}, fmt.Errorf("plan JSON of %s: %w", stack, err)
		}
		return offlinePlanResult{&p, raw}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// offlineStacks are the stacks the deploy drill does not apply (production and
// its bootstrap): the offline plan is their proof against the real provider.
// The drill's real plans and applies prove the others, so they are not
// planned offline again.
func offlineStacks() []string {
	out := []string{}
	for _, name := range AllStackNames() {
		if name != drill.Environment && name != bootstrapOf(drill.Environment) {
			out = append(out, name)
		}
	}
	return out
}

// offlineEnvironments are the service stacks among offlineStacks.
func offlineEnvironments() []string {
	out := []string{}
	for _, name := range StackNames() {
		if name != drill.Environment {
			out = append(out, name)
		}
	}
	return out
}

// TestStacksValidateAndPlanOffline proves the stacks the drill does not apply
// against the AWS provider's schema and its plan-time validation.
func TestStacksValidateAndPlanOffline(t *testing.T) {
	t.Parallel() // its subtests take their places among the concurrent tests
	for _, name := range offlineStacks() {
		t.Run(name, func(t *testing.T) {
			concurrent(t) // terraform only; jsii was closed by TestMain
			p := offlinePlan(t, name)
			created := 0
			for _, rc := range p.ResourceChanges {
				if len(rc.Change.Actions) == 1 && rc.Change.Actions[0] == "create" {
					created++
				} else if !(len(rc.Change.Actions) == 1 && rc.Change.Actions[0] == "read") {
					t.Errorf("%s: unexpected actions %v on a fresh plan", rc.Address, rc.Change.Actions)
				}
			}
			want := 0
			for _, rs := range stacks[name].Resources {
				want += len(rs)
			}
			if created != want {
				t.Errorf("plan creates %d resources, the JSON has %d", created, want)
			}
		})
	}
}

// TestPlanCatchesAGSIWithoutAttributeDefinition proves the harness catches what
// `terraform validate` cannot: a GSI whose key has no attribute definition.
func TestPlanCatchesAGSIWithoutAttributeDefinition(t *testing.T) {
	tier.Full(t, "a terraform plan of a broken copy of a stack")
	concurrent(t) // terraform only
	stack := StackNames()[0]
	broken := func(raw []byte) []byte {
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		tables := doc["resource"].(map[string]any)["aws_dynamodb_table"].(map[string]any)
		removed := false
		for _, body := range tables {
			tbl := body.(map[string]any)
			if !strings.HasPrefix(tbl["name"].(string), "phase-mirror-calibration-store-") {
				continue
			}
			kept := []any{}
			for _, a := range tbl["attribute"].([]any) {
				if a.(map[string]any)["name"] == "ruleId" {
					removed = true
					continue
				}
				kept = append(kept, a)
			}
			tbl["attribute"] = kept
		}
		if !removed {
			t.Fatal("the calibration table has no ruleId attribute to remove")
		}
		out, _ := json.Marshal(doc)
		return out
	}
	dir := workdir(t, stack, broken)
	mustTerraform(t, dir, "init", "-input=false", "-no-color", "-lockfile=readonly")
	mustTerraform(t, dir, "validate", "-no-color") // validate alone does not see it
	out, err := terraform(t, dir, "plan", "-input=false", "-no-color", "-lock=false")
	if err == nil {
		t.Fatal("plan accepted a GSI without an attribute definition")
	}
	if !strings.Contains(out, "all indexes must match a defined attribute") {
		t.Errorf("plan failed for another reason:\n%s", out)
	}
}

// plannedPolicy returns the evaluated JSON of an aws_iam_policy_document data source.
func plannedPolicy(t *testing.T, stack, address string) map[string]any {
	t.Helper()
	p := offlinePlan(t, stack)
	for _, r := range p.PriorState.Values.RootModule.Resources {
		if r.Address == address {
			var doc map[string]any
			if err := json.Unmarshal([]byte(fmt.Sprint(r.Values["json"])), &doc); err != nil {
				t.Fatalf("%s: %v", address, err)
			}
			return doc
		}
	}
	t.Fatalf("%s was not evaluated by the plan", address)
	return nil
}

// TestPolicyDocumentsEvaluate: every policy document whose inputs are known at
// plan time (trust policies, the permissions boundary) is evaluated by the real
// provider into valid IAM JSON with all its statements; the ones that name
// resources created by the same plan (role and key policies) are deferred to
// apply, and the IAM simulator tests evaluate those from the JSON instead.
func TestPolicyDocumentsEvaluate(t *testing.T) {
	concurrent(t) // waits for the offline plans (terraform)
	evaluated := 0
	for _, name := range offlineStacks() {
		s := stacks[name]
		p := offlinePlan(t, name)
		deferred := map[string]bool{}
		for _, rc := range p.ResourceChanges {
			if rc.Type == "aws_iam_policy_document" && len(rc.Change.Actions) == 1 && rc.Change.Actions[0] == "read" {
				deferred[rc.Address] = true
			}
		}
		for docName, body := range s.Data["aws_iam_policy_document"] {
			address := "data.aws_iam_policy_document." + docName
			if deferred[address] {
				continue
			}
			policy := plannedPolicy(t, name, address)
			statements, _ := policy["Statement"].([]any)
			if policy["Version"] != "2012-10-17" || len(statements) != len(body.Objs("statement")) {
				t.Errorf("%s %s: evaluated to %v", name, docName, policy)
			}
			// The tests' own renderer (renderPolicy), which the IAM simulator
			// tests rely on, must say what the provider says.
			ours, _ := json.Marshal(canonicalPolicy(renderPolicy(t, s, "${"+address+".json}")))
			theirs, _ := json.Marshal(canonicalPolicy(policy))
			if string(ours) != string(theirs) {
				t.Errorf("%s %s: the tests' renderer says\n%s\nthe provider says\n%s", name, docName, ours, theirs)
			}
			evaluated++
		}
	}
	if evaluated < 4 { // the bootstrap's three Lambda trust policies and the boundary
		t.Errorf("only %d policy documents were evaluated at plan time", evaluated)
	}
}

// canonicalPolicy is an IAM policy with every single value made a list and
// every list sorted: the provider writes a one-element list as a string, and
// neither side's order has a meaning.
func canonicalPolicy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			out[k] = canonicalPolicy(val)
			if s, ok := val.(string); ok && k != "Version" && k != "Effect" && k != "Sid" {
				out[k] = []any{s}
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = canonicalPolicy(val)
		}
		slices.SortFunc(out, func(a, b any) int {
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			return strings.Compare(string(ja), string(jb))
		})
		return out
	}
	return v
}

// TestTheNonceNeverReachesAPlan: the redaction nonce is written through the
// write-only value_wo, so the plan (and the state it would produce) carries no
// value for it, neither the placeholder nor anything set out of band later.
func TestTheNonceNeverReachesAPlan(t *testing.T) {
	concurrent(t)                                // waits for the offline plans (terraform)
	for _, name := range offlineEnvironments() { // the drill checks staging's plan and state
		p := offlinePlan(t, name)
		found := false
		for _, rc := range p.ResourceChanges {
			if rc.Type != "aws_ssm_parameter" {
				continue
			}
			found = true
			if v, ok := rc.Change.After["value"]; ok && v != nil {
				t.Errorf("%s: %s plans a value", name, rc.Address)
			}
			if v, ok := rc.Change.After["value_wo"]; ok && v != nil {
				t.Errorf("%s: %s keeps value_wo in the plan", name, rc.Address)
			}
		}
		if !found {
			t.Fatalf("%s: no aws_ssm_parameter in the plan", name)
		}
		// The placeholder is a constant of the configuration (and only there: a
		// value set out of band is never in the configuration); no planned,
		// prior or changed value may carry it.
		var doc map[string]any
		if err := json.Unmarshal([]byte(offlinePlanJSON(t, name)), &doc); err != nil {
			t.Fatal(err)
		}
		delete(doc, "configuration")
		if values, _ := json.Marshal(doc); strings.Contains(string(values), datastore.NoncePlaceholder) {
			t.Errorf("%s: the plan's values contain the nonce's written value", name)
		}
	}
}

// TestStacksValidateOffline: every stack validates against the real AWS
// provider's schema, offline, as a module of one root initialized with the
// committed lock file (validatedFolderOf says where each is validated as a
// root).
//
// The inner loop's: in the whole proof the clean-clone test validates every
// stack as a root, which is more, on the same bytes (its go run . step
// compares them), with scripts/validate.sh staging and production; this
// one's init and validate of all four (about 5 s of CPU) would repeat it.
func TestStacksValidateOffline(t *testing.T) {
	if !testing.Short() {
		t.Skip("the whole proof validates each stack as a root: TestEveryNoAWSCommandOfTheReadmeWorksFromACleanClone, scripts/validate.sh")
	}
	t.Parallel()
	for _, name := range AllStackNames() {
		t.Run(name, func(t *testing.T) {
			concurrent(t) // terraform only; jsii was closed by TestMain
			validatedFolderOf(t, name)
		})
	}
}

// validatedFolderOf is the folder where a stack was initialized and
// validated: one throw-away root that holds every stack as a module, so the
// provider's schema loads once for the four stacks, not four times. What only
// a root has (import blocks, each stack's own provider block) is validated
// in the full tier with each stack as a root: by the clean-clone test's
// scripts/validate.sh staging and production (on the same bytes: its go run
// . step compares them), by production's and its bootstrap's offline plans
// (offlinePlanOf; a plan validates its root first) and by the drills' plans;
// the backends by the drills' init of each stack.
func validatedFolderOf(t *testing.T, stack string) string {
	t.Helper()
	dir, err := perStack(&stacksMu, validated, "all stacks as modules", func() (string, error) {
		dir, err := os.MkdirTemp(scratch, "all-stacks-")
		if err != nil {
			return "", err
		}
		// Each module's own provider block would start a provider process of
		// its own (~300 MiB each): the modules use the root's, which is the
		// first stack's; the provider blocks of all four have one shape.
		modules, root := map[string]any{}, map[string]any{}
		for _, name := range AllStackNames() {
			if err := os.CopyFS(filepath.Join(dir, name), os.DirFS(filepath.Join(outdir, "stacks", name))); err != nil {
				return "", err
			}
			var stack map[string]any
			if err := json.Unmarshal(stacks[name].Raw, &stack); err != nil {
				return "", err
			}
			if root["provider"] == nil {
				root["provider"] = stack["provider"]
			}
			delete(stack, "provider")
			raw, _ := json.Marshal(stack)
			if err := os.WriteFile(filepath.Join(dir, name, "cdk.tf.json"), raw, 0o644); err != nil {
				return "", err
			}
			modules[strings.ReplaceAll(name, "-", "_")] = map[string]string{"source": "./" + name}
		}
		root["module"] = modules
		rootJSON, _ := json.Marshal(root)
		if err := os.WriteFile(filepath.Join(dir, "main.tf.json"), rootJSON, 0o644); err != nil {
			return "", err
		}
		// The root installs the provider by the first stack's committed lock
		// file; TestInitNeverChangesALockFile compares it with every stack's.
		lock, err := os.ReadFile(filepath.Join("..", "locks", AllStackNames()[0], app.LockFileName))
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, app.LockFileName), lock, 0o644); err != nil {
			return "", err
		}
		return dir, initAndValidate(t, dir, "all stacks as modules", true)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestInitNeverChangesALockFile: every stack has its committed lock file,
// the four are the same (the inner loop validates the stacks together, by
// the first one's), and init with -lockfile=readonly leaves a stack's byte
// for byte as committed (the inner loop: in the root that validated them;
// the whole proof: where the offline plans initialized).
func TestInitNeverChangesALockFile(t *testing.T) {
	concurrent(t)
	first, err := os.ReadFile(filepath.Join("..", "locks", AllStackNames()[0], app.LockFileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range AllStackNames() {
		committed, err := os.ReadFile(filepath.Join("..", "locks", name, app.LockFileName))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(committed) != string(first) {
			t.Errorf("%s: its committed lock file is not %s's", name, AllStackNames()[0])
		}
		published, err := os.ReadFile(filepath.Join(outdir, "stacks", name, app.LockFileName))
		if err != nil || string(published) != string(committed) {
			t.Errorf("%s: the synthesized stack does not carry the committed lock file (%v)", name, err)
		}
		if testing.Short() { // the whole proof validates each stack with its own (TestStacksValidateOffline)
			root, err := os.ReadFile(filepath.Join(validatedFolderOf(t, name), app.LockFileName)) // init ran there
			if err != nil || string(root) != string(committed) {
				t.Errorf("%s: the committed lock file is not the one the stacks were validated with, %s's after init (%v):\n%s", name, AllStackNames()[0], err, root)
			}
		} else if slices.Contains(offlineStacks(), name) {
			after, err := os.ReadFile(filepath.Join(offlineInitialized(t, name), app.LockFileName))
			if err != nil || string(after) != string(committed) {
				t.Errorf("%s: init changed the lock file (%v):\n%s", name, err, after)
			}
		}
	}
}
