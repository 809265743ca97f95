package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// settingsFile is the on-disk shape of environments/<env>.json. Pointer fields
// tell "absent" from "zero" so that required fields are enforced.
type settingsFile struct {
	Environment                  *string          `json:"environment"`
	AWSRegion                    *string          `json:"aws_region"`
	ProjectName                  *string          `json:"project_name"`
	AWSAccountID                 *string          `json:"aws_account_id"`
	AlertEmails                  *alertEmailsFile `json:"alert_emails"`
	FPIngestionFunctionName      *string          `json:"fp_ingestion_function_name"`
	CalibrationQueryFunctionName *string          `json:"calibration_query_function_name"`
	SaltRotatorFunctionName      *string          `json:"salt_rotator_function_name"`
	FPIngestionTimeoutSeconds    *int             `json:"fp_ingestion_timeout_seconds"`
	CalibrationQueryTimeoutSecs  *int             `json:"calibration_query_timeout_seconds"`
	DeletionProtection           *bool            `json:"deletion_protection"`
	LogRetentionDays             *int             `json:"log_retention_days"`
	SecretRecoveryWindowDays     *int             `json:"secret_recovery_window_days"`
	State                        *stateFile       `json:"state"`
	GitHubRepository             *string          `json:"github_repository"`
	GitHubOIDCProvider           *string          `json:"github_oidc_provider"`
	Adopt                        *adoptFile       `json:"adopt"`
}

type adoptFile struct {
	Enabled        *bool     `json:"enabled"`
	Alarms         *[]string `json:"alarms"`
	LogGroups      *[]string `json:"log_groups"`
	LambdaRoles    bool      `json:"lambda_roles"`
	LambdaBoundary bool      `json:"lambda_boundary"`
}

type alertEmailsFile struct {
	Critical *[]string `json:"critical"`
	Warning  *[]string `json:"warning"`
}

type stateFile struct {
	Backend   *string `json:"backend"`
	Bucket    *string `json:"bucket"`
	Region    *string `json:"region"`
	KeyPrefix *string `json:"key_prefix"`
	KMSKeyArn *string `json:"kms_key_arn"`
	Lock      *string `json:"lock"`
}

// Defaults of the optional settings.
const (
	DefaultLogRetentionDays         = 90
	DefaultSecretRecoveryWindowDays = 30
	DefaultStateKeyPrefix           = "phase-mirror"
	DefaultFunctionTimeoutSeconds   = 30
)

// Error is a settings problem: the file, the field (a JSON path such as
// "alert_emails.critical[0]") and what to do about it. Its message is one line.
type Error struct {
	File    string
	Field   string
	Problem string
	Fix     string
}

func (e *Error) Error() string {
	msg := e.File
	if e.Field != "" {
		msg += `: field "` + e.Field + `"`
	}
	msg += ": " + e.Problem
	if e.Fix != "" {
		msg += "; fix: " + e.Fix
	}
	return msg
}

// LoadAll loads and validates environments/<name>.json for every name in
// Environments, in order. It returns the first problem found, before anything
// is synthesized.
func LoadAll(dir string) ([]Environment, error) {
	envs := make([]Environment, 0, len(Environments))
	for _, name := range Environments {
		path := filepath.Join(dir, name+".json")
		env, err := LoadFile(path)
		if err != nil {
			return nil, err
		}
		for _, other := range envs {
			if other.AccountID == env.AccountID {
				return nil, &Error{File: path, Field: "aws_account_id",
					Problem: fmt.Sprintf("%q is also the account of %s: environments must not share an account", env.AccountID, other.Name),
					Fix:     "deploy each environment to its own AWS account (its state bucket, deploy role and key live there)"}
			}
		}
		envs = append(envs, env)
	}
	return envs, nil
}

// LoadFile reads and validates one settings file. The environment is named by
// the file (staging.json holds staging) and the file must agree.
func LoadFile(path string) (Environment, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		fix := "create it from the example in docs/settings.md"
		if !errors.Is(err, os.ErrNotExist) {
			fix = "make the file readable"
		}
		return Environment{}, &Error{File: path, Problem: "cannot read settings file: " + rootCause(err), Fix: fix}
	}
	want := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return Parse(path, want, data)
}

// Parse validates settings for the environment named want; file is used in messages only.
func Parse(file, want string, data []byte) (Environment, error) {
	if !slices.Contains(Environments, want) {
		return Environment{}, &Error{File: file, Problem: fmt.Sprintf("%q is not an environment of this project", want),
			Fix: "name the file after one of: " + strings.Join(Environments, ", ")}
	}
	var raw settingsFile
	if err := decodeStrict(data, &raw); err != nil {
		return Environment{}, decodeError(file, data, err)
	}
	return validate(file, want, raw)
}

func decodeStrict(data []byte, into any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailingData
	}
	return nil
}

var errTrailingData = errors.New("trailing data after the settings object")

// decodeError turns encoding/json's errors into one line naming the field.
func decodeError(file string, data []byte, err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		return &Error{File: file, Field: field,
			Problem: fmt.Sprintf("has a JSON %s where %s is expected", typeErr.Value, describeType(typeErr.Type.String())),
			Fix:     "use the type shown in docs/settings.md"}
	case errors.As(err, &syntaxErr):
		line, col := position(data, syntaxErr.Offset)
		return &Error{File: file, Problem: fmt.Sprintf("is not valid JSON at line %d, column %d: %s", line, col, syntaxErr.Error()),
			Fix: "correct the JSON syntax (a missing comma or quote is the usual cause)"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		path, allowed := unknownField(data, reflect.TypeOf(settingsFile{}), "")
		if path == "" { // not found again: report what encoding/json said
			path, allowed = name, knownFields()
		}
		where := "known settings"
		if i := strings.LastIndex(path, "."); i >= 0 {
			where = "known settings in " + path[:i]
		}
		return &Error{File: file, Field: path, Problem: "is not a known setting",
			Fix: "remove it or correct its spelling; " + where + ": " + strings.Join(allowed, ", ")}
	case errors.Is(err, errTrailingData):
		return &Error{File: file, Problem: "has data after the settings object", Fix: "keep exactly one JSON object in the file"}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{File: file, Problem: "is empty or cut short", Fix: "write one complete JSON object (see docs/settings.md)"}
	default:
		return &Error{File: file, Problem: "cannot be decoded: " + err.Error(), Fix: "write one JSON object as shown in docs/settings.md"}
	}
}

// unknownField finds the first key of data (in key order, depth first) that
// typ has no JSON field for, and returns its full path ("state.dynamodb_table")
// with the keys allowed at that level.
func unknownField(data []byte, typ reflect.Type, prefix string) (string, []string) {
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if typ.Kind() != reflect.Struct {
		return "", nil
	}
	var object map[string]json.RawMessage
	if json.Unmarshal(data, &object) != nil {
		return "", nil
	}
	fields := map[string]reflect.Type{}
	for i := range typ.NumField() {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		fields[tag] = typ.Field(i).Type
	}
	allowed := slices.Sorted(maps.Keys(fields))
	for _, key := range slices.Sorted(maps.Keys(object)) {
		field, ok := fields[key]
		if !ok {
			return prefix + key, allowed
		}
		if path, inner := unknownField(object[key], field, prefix+key+"."); path != "" {
			return path, inner
		}
	}
	return "", nil
}

// position converts a byte offset into a 1-based line and column.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func describeType(goType string) string {
	switch {
	case strings.Contains(goType, "[]string"):
		return "a list of strings"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.Contains(goType, "int"):
		return "a whole number"
	default:
		return "an object"
	}
}

func knownFields() []string {
	names := []string{}
	for _, f := range fieldDocs {
		top, _, _ := strings.Cut(f.Name, ".")
		if !slices.Contains(names, top) {
			names = append(names, top)
		}
	}
	sort.Strings(names)
	return names
}

func rootCause(err error) string {
	var pathErr *os.PathError
	if errors.As(err, &pathErr) {
		return pathErr.Err.Error()
	}
	return err.Error()
}
