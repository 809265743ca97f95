// Package tier marks the tests of the full tier: `go test -short` is the
// inner loop (no emulator, no terraform plan, no clean-clone user paths);
// `go test` without -short runs everything.
package tier

import (
	"flag"
	"strconv"
	"testing"
)

// Full skips t under -short, saying why it belongs to the full tier only.
func Full(t testing.TB, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("full tier only (go test without -short): " + why)
	}
}

// Parallel sets go test's -parallel to n, unless the caller gave one: call
// it in TestMain, after flag.Parse.
func Parallel(n int) error {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if given {
		return nil
	}
	return flag.Set("test.parallel", strconv.Itoa(n))
}
