package service

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/adoption"
)

// adopt imports what the HCL version created (settings: adopt). The Lambda
// runtime made the log groups of the application's functions; the rotator
// is new.
func (s *Stack) adopt(fns Functions) ([]adoption.Import, error) {
	if !s.Env.Adopt.Enabled {
		return nil, nil
	}
	imports, err := adoption.Apply(s.TerraformStack, adoption.Props{
		Names:     s.Names,
		LogGroups: []string{fns.FPIngestion.LogGroup.Name(), fns.CalibrationQuery.LogGroup.Name()},
		Alarms:    s.Env.Adopt.Alarms,
	})
	var unknown *adoption.UnknownAlarmError
	if errors.As(err, &unknown) {
		slices.Sort(unknown.Known)
		return nil, &config.Error{File: s.Env.SettingsFile, Field: fmt.Sprintf("adopt.alarms[%d]", unknown.Index),
			Problem: fmt.Sprintf("%q is not an alarm of the %s stack", unknown.Name, s.Env.Name),
			Fix:     "list only alarms of the stack that already exist; its alarms: " + strings.Join(unknown.Known, ", ")}
	}
	return imports, err
}
