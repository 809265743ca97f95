package service

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/adoption"
)

// adopt imports what the HCL version created (settings: adopt), and the log
// groups and alarms the settings name as existing.
func (s *Stack) adopt() ([]adoption.Import, error) {
	if !s.Env.Adopt.Enabled {
		return nil, nil
	}
	imports, err := adoption.Apply(s.TerraformStack, adoption.Props{
		Names:     s.Names,
		LogGroups: s.Env.Adopt.LogGroups,
		Alarms:    s.Env.Adopt.Alarms,
	})
	var unknown *adoption.UnknownError
	if errors.As(err, &unknown) {
		slices.Sort(unknown.Known)
		field := map[string]string{"alarm": "alarms", "log group": "log_groups"}[unknown.Kind]
		return nil, &config.Error{File: s.Env.SettingsFile, Field: fmt.Sprintf("adopt.%s[%d]", field, unknown.Index),
			Problem: fmt.Sprintf("%q is not %s of the %s stack", unknown.Name, unknown.What(), s.Env.Name),
			Fix:     fmt.Sprintf("list only %ss of the stack that already exist; its %ss: %s", unknown.Kind, unknown.Kind, strings.Join(unknown.Known, ", "))}
	}
	return imports, err
}
