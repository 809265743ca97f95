// Package jsiirt ends jsii's Node runtime in the programs that link the cdktf
// bindings. jsii-runtime-go unpacks the runtime into a folder under the
// temporary directory while the bindings' packages initialize (about 2 MiB,
// whether anything is synthesized or not) and removes it only in jsii.Close:
// a program, or a test binary, that never calls it leaves the folder behind.
package jsiirt

import (
	"os"
	"testing"

	"github.com/aws/jsii-runtime-go"
)

// Close stops the runtime and removes its folder. jsii-runtime-go waits for
// a runtime that ran twice, in Close and in a goroutine of its own, and the
// second wait writes "Runtime process exited abnormally: waitid: no child
// processes" to os.Stderr after a clean exit: os.Stderr is /dev/null from
// here on, so call Close when only the exit is left. The price: jsii's own
// "could not clean up temporary directory" goes there too, and so would any
// line Node still prints while it stops.
func Close() {
	if null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
		os.Stderr = null
	}
	jsii.Close()
}

// TestMain runs a package's tests, then Close: the TestMain of a package
// whose tests link the bindings.
func TestMain(m *testing.M) {
	code := m.Run()
	Close()
	os.Exit(code)
}
