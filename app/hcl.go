package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
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
