package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// hclTerraformAttribute matches what cdktf 0.20.11 writes for a plain
// attribute of the terraform block in HCL mode: the attribute's index and name
// (`0 = "required_version"`) instead of its name and value, which Terraform
// refuses. The cdktf project is archived, so the fix lives here.
var hclTerraformAttribute = regexp.MustCompile(`(?m)^  ([0-9]+) = "([a-z_]+)"$`)

// repairHCL rewrites the terraform block attributes of the HCL file at path
// with their values from the stack's JSON (terraform is its "terraform" object).
func repairHCL(path string, terraform map[string]any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	fixed, err := repairHCLTerraformBlock(string(raw), terraform)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, []byte(fixed), 0o644)
}

func repairHCLTerraformBlock(hcl string, terraform map[string]any) (string, error) {
	var missing error
	out := hclTerraformAttribute.ReplaceAllStringFunc(hcl, func(line string) string {
		m := hclTerraformAttribute.FindStringSubmatch(line)
		value, ok := terraform[m[2]]
		if !ok {
			missing = fmt.Errorf("terraform block attribute %q has no value in the JSON", m[2])
			return line
		}
		var buf bytes.Buffer // a JSON string or number is valid HCL
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(value); err != nil {
			missing = err
			return line
		}
		rendered := bytes.TrimSpace(buf.Bytes())
		if _, isString := value.(string); !isString {
			if _, err := strconv.ParseFloat(string(rendered), 64); err != nil {
				missing = fmt.Errorf("terraform block attribute %q is neither a string nor a number", m[2])
				return line
			}
		}
		return "  " + m[2] + " = " + string(rendered)
	})
	return out, missing
}

// writeHCL renders every stack of the published synthesis in outdir as HCL
// under dir/stacks/<stack>/cdk.tf (with the stack's lock file), the way the
// cdktf CLI's synth --hcl does, but without a second synthesis.
func writeHCL(a cdktf.App, outdir, dir, locks string) error {
	written, err := readManifest(outdir)
	if err != nil {
		return err
	}
	for _, w := range written {
		stack, err := stackOf(a, w.name)
		if err != nil {
			return err
		}
		rendered := stack.ToHclTerraform()
		hcl, _ := (*rendered)["hcl"].(string)
		if hcl == "" {
			return fmt.Errorf("stack %s: no HCL rendering", w.name)
		}
		tf, err := stackJSON(a, outdir, w)
		if err != nil {
			return fmt.Errorf("stack %s: %w", w.name, err)
		}
		terraform, _ := tf["terraform"].(map[string]any)
		if hcl, err = repairHCLTerraformBlock(hcl, terraform); err != nil {
			return fmt.Errorf("stack %s: %w", w.name, err)
		}
		hclStack := writtenStack{name: w.name, path: filepath.Join("stacks", w.name, "cdk.tf")}
		if err := os.MkdirAll(filepath.Join(dir, "stacks", w.name), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, hclStack.path), []byte(hcl), 0o644); err != nil {
			return err
		}
		if locks != "" {
			if err := copyLockFile(locks, dir, hclStack); err != nil {
				return err
			}
		}
	}
	return nil
}
