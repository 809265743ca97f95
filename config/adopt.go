package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// alarmNamePattern: CloudWatch alarm names are 1-255 characters; this project
// names its alarms with letters, digits, hyphens, dots and underscores only.
var alarmNamePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,255}$`)

// logGroupNamePattern: CloudWatch Logs accepts 1-512 characters of letters,
// digits, '_', '-', '/', '.' and '#' (the CreateLogGroup API reference).
var logGroupNamePattern = regexp.MustCompile(`^[A-Za-z0-9_/.#-]{1,512}$`)

// adoptSettings validates the "adopt" block. Without it nothing is imported.
// fns names the application functions, whose log groups may exist.
func adoptSettings(file string, raw *adoptFile, fns FunctionNames) (AdoptSettings, error) {
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
	var bad *nameError
	if adopt.Alarms, bad = existingNames(raw.Alarms, adopt.Enabled, "alarms", alarmNamePattern,
		"an alarm name of this project", "copy the name from `aws cloudwatch describe-alarms --query 'MetricAlarms[].AlarmName'` (letters, digits, '.', '_', '-')"); bad != nil {
		return fail(bad.field, bad.problem, bad.fix)
	}
	if adopt.LogGroups, bad = existingNames(raw.LogGroups, adopt.Enabled, "log_groups", logGroupNamePattern,
		"a log group name", "copy the name from `aws logs describe-log-groups --log-group-name-prefix "+names.LogGroup("")+" --query 'logGroups[].logGroupName'`"); bad != nil {
		return fail(bad.field, bad.problem, bad.fix)
	}
	// The Lambda runtime names a function's log group /aws/lambda/<function>;
	// the rotator is this project's, never the HCL version's.
	ours := []string{names.LogGroup(fns.FPIngestion), names.LogGroup(fns.CalibrationQuery)}
	for i, name := range adopt.LogGroups {
		if !slices.Contains(ours, name) {
			return fail(fmt.Sprintf("log_groups[%d]", i), fmt.Sprintf("%q is not a log group of an application function of this environment", name),
				"list only those of "+strings.Join(ours, ", ")+" that exist")
		}
	}
	return adopt, nil
}

// nameError is a problem with one entry of a list of existing names.
type nameError struct{ field, problem, fix string }

// existingNames validates a list of names of resources that already exist
// (adopt.<field>): only with adopt.enabled, each well formed, none twice.
func existingNames(list *[]string, enabled bool, field string, pattern *regexp.Regexp, what, fix string) ([]string, *nameError) {
	if list == nil {
		return nil, nil
	}
	if !enabled && len(*list) > 0 {
		return nil, &nameError{field, "lists names but adopt.enabled is false", `set "enabled": true to import them, or remove the list`}
	}
	for i, name := range *list {
		at := fmt.Sprintf("%s[%d]", field, i)
		if !pattern.MatchString(name) {
			return nil, &nameError{at, fmt.Sprintf("%q is not %s", name, what), fix}
		}
		if slices.Contains((*list)[:i], name) {
			return nil, &nameError{at, fmt.Sprintf("%q is listed twice", name), "list each name once"}
		}
	}
	return append([]string{}, *list...), nil
}
