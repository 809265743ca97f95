package config

import (
	"fmt"
	"regexp"
	"slices"
)

// alarmNamePattern: CloudWatch alarm names are 1-255 characters; this project
// names its alarms with letters, digits, hyphens, dots and underscores only.
var alarmNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,255}$`)

// adoptSettings validates the "adopt" block. Without it nothing is imported.
func adoptSettings(file string, raw *adoptFile) (AdoptSettings, error) {
	adopt := AdoptSettings{}
	if raw == nil {
		return adopt, nil
	}
	fail := func(field, problem, fix string) (AdoptSettings, error) {
		return AdoptSettings{}, &Error{File: file, Field: "adopt." + field, Problem: problem, Fix: fix}
	}
	if raw.Enabled == nil {
		return fail("enabled", "is required when adopt is set", `set "enabled": true for the first plan over the HCL version's resources, or remove the adopt block`)
	}
	adopt.Enabled = *raw.Enabled
	adopt.LambdaRoles, adopt.LambdaBoundary = raw.LambdaRoles, raw.LambdaBoundary
	if raw.Alarms == nil {
		return adopt, nil
	}
	if !adopt.Enabled && len(*raw.Alarms) > 0 {
		return fail("alarms", "lists alarms but adopt.enabled is false", `set "enabled": true to import them, or remove the list`)
	}
	for i, name := range *raw.Alarms {
		field := fmt.Sprintf("alarms[%d]", i)
		if !alarmNamePattern.MatchString(name) {
			return fail(field, fmt.Sprintf("%q is not an alarm name of this project", name),
				"copy the name from `aws cloudwatch describe-alarms --query 'MetricAlarms[].AlarmName'` (letters, digits, '.', '_', '-')")
		}
		if slices.Contains((*raw.Alarms)[:i], name) {
			return fail(field, fmt.Sprintf("%q is listed twice", name), "list each alarm once")
		}
	}
	adopt.Alarms = append([]string{}, *raw.Alarms...)
	return adopt, nil
}
