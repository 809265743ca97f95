package app

import (
	"os"
	"sync"

	"github.com/phase-mirror/fp-calibration-infra/internal/lambdabuild"
)

// buildInBackground starts building the rotator into dir (through the cache
// folder, "" for none) and returns a function that waits for the build
// (once) and returns its result.
func buildInBackground(dir, cache string) func() (lambdabuild.Package, error) {
	var (
		once sync.Once
		pkg  lambdabuild.Package
		err  error
		done = make(chan struct{})
	)
	go func() {
		pkg, err = buildRotator(dir, cache)
		close(done)
	}()
	return func() (lambdabuild.Package, error) {
		once.Do(func() { <-done })
		return pkg, err
	}
}

// builtRotator is the rotator's zip as this process first built it.
var builtRotator struct {
	sync.Mutex
	zip []byte
}

// buildRotator builds the rotator into dir once per process and writes the
// same zip on later calls: its source does not change while a synthesis
// runs, and the stack tests synthesize three times in one process with the
// rotator (each build costs a cross-compile and a link beside jsii's runtime).
func buildRotator(dir, cache string) (lambdabuild.Package, error) {
	builtRotator.Lock()
	defer builtRotator.Unlock()
	if builtRotator.zip != nil {
		return lambdabuild.Write(dir, rotatorName, builtRotator.zip)
	}
	pkg, err := buildPackage(RotatorImportPath, dir, rotatorName, cache)
	if err != nil {
		return pkg, err
	}
	builtRotator.zip, err = os.ReadFile(pkg.ZipPath)
	return pkg, err
}

// buildPackage builds a Lambda package through the cache folder ("" for
// none; a stub in the tests).
var buildPackage = func(importPath, dir, name, cache string) (lambdabuild.Package, error) {
	return lambdabuild.Cache{Dir: cache}.Build(importPath, dir, name)
}

// rotatorName names the rotator's files in the build folder.
const rotatorName = "saltrotator"
