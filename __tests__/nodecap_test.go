package tests

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/childgc"
)

// The stack tests' syntheses run in this process's jsii runtime, which
// jsii-runtime-go prepares before TestMain sets the heap cap: TestMain closes
// that unstarted runtime so the first synthesis starts one with the cap, or
// it runs uncapped (about 850 MiB instead of 610).
func TestJSIIRuntimeRunsWithTheHeapCap(t *testing.T) {
	if os.Getenv("JSII_RUNTIME") != "" {
		t.Skip("JSII_RUNTIME runs the runtime through a shell of the caller's choice")
	}
	if runtimeEnvErr != nil {
		t.Fatal(runtimeEnvErr)
	}
	want := os.Getenv("NODE_OPTIONS") // childgc.Set's, or the caller's
	if !strings.Contains(want, "--max-old-space-size") {
		t.Fatalf("NODE_OPTIONS is %q: TestMain set no cap (childgc.NodeOptions is %q)", want, childgc.NodeOptions)
	}
	if got := runtimeEnv["NODE_OPTIONS"]; got != want {
		t.Errorf("jsii's Node runtime ran with NODE_OPTIONS=%q, want %q", got, want)
	}
}

// jsiiRuntimeEnv is the environment (the given variables, "" when unset)
// of this process's running jsii runtime (Linux: read from /proc).
func jsiiRuntimeEnv(keys ...string) (map[string]string, error) {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	self := strconv.Itoa(os.Getpid())
	for _, stat := range stats {
		b, err := os.ReadFile(stat)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after ')'.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) < 2 || fields[1] != self {
			continue
		}
		dir := filepath.Dir(stat)
		cmdline, _ := os.ReadFile(filepath.Join(dir, "cmdline"))
		if !bytes.Contains(cmdline, []byte("jsii-runtime")) {
			continue
		}
		environ, err := os.ReadFile(filepath.Join(dir, "environ"))
		if err != nil {
			return nil, err
		}
		values := map[string]string{}
		for _, key := range keys {
			values[key] = ""
		}
		for _, kv := range strings.Split(string(environ), "\x00") {
			if key, value, ok := strings.Cut(kv, "="); ok {
				if _, wanted := values[key]; wanted {
					values[key] = value
				}
			}
		}
		return values, nil
	}
	return nil, fmt.Errorf("no jsii runtime is a child of this process (pid %s)", self)
}
