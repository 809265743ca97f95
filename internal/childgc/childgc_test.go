package childgc

import (
	"os"
	"testing"
)

func TestSetKeepsTheCallersChoice(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "1GiB")
	t.Setenv("NODE_OPTIONS", "")
	Set()
	for key, want := range map[string]string{"GOGC": Percent, "GOMEMLIMIT": "1GiB", "NODE_OPTIONS": NodeOptions} {
		if got := os.Getenv(key); got != want {
			t.Errorf("%s=%q, want %q", key, got, want)
		}
	}
}

func TestSetAddsTheHeapCapToOtherNodeOptions(t *testing.T) {
	for given, want := range map[string]string{
		"--enable-source-maps":     "--enable-source-maps " + NodeOptions,
		"--max-old-space-size=300": "--max-old-space-size=300",
	} {
		t.Setenv("NODE_OPTIONS", given)
		Set()
		if got := os.Getenv("NODE_OPTIONS"); got != want {
			t.Errorf("NODE_OPTIONS=%q became %q, want %q", given, got, want)
		}
	}
}
