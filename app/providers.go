package app

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// missingProviders names the providers whose resources or data sources a
// synthesized stack uses without configuring them (its "provider" block),
// sorted. It is cdktf's ValidateProviderPresence on the stack's JSON: the
// app skips cdktf's validations (see Synth). The built-in "terraform"
// provider (terraform_data, terraform_remote_state) needs no block.
func missingProviders(tf map[string]any) []string {
	configured, _ := tf["provider"].(map[string]any)
	missing := map[string]bool{}
	for _, kind := range []string{"resource", "data"} {
		blocks, _ := tf[kind].(map[string]any)
		for typ := range blocks {
			name, _, _ := strings.Cut(typ, "_")
			if _, ok := configured[name]; !ok && name != "terraform" {
				missing[name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(missing))
}

// checkProviders is missingProviders as an error naming the stack and the fix.
func checkProviders(stack string, tf map[string]any) error {
	missing := missingProviders(tf)
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("stack %s: uses resources of the provider(s) %s but configures none; fix: add the provider construct to the stack (stackbase.Provider for aws)", stack, strings.Join(missing, ", "))
}
