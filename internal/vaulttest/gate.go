package vaulttest

import (
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
)

// RequiredEnv is set to 1 by `make test`: there a missing server binary
// fails the run instead of skipping the package, so that CI can never
// pass by testing nothing.
const RequiredEnv = "VTH_E2E"

// Gate decides, in a TestMain after flag.Parse, whether the end-to-end
// tests of a package run. what names them ("the end-to-end tests"); bin
// finds the server binary they need (BinPath for Vault). It returns the
// binary's path and true when they run. Otherwise it prints one line
// saying why and how to run them, and the package is skipped (-short,
// or a plain `go test ./...` on a fresh clone) or fails (the binary is
// missing while RequiredEnv is set): exit is os.Exit with the code.
func Gate(what string, bin func() (string, error), exit func(int)) (string, bool) {
	return gate(what, bin, testing.Short(), os.Getenv(RequiredEnv) == "1", os.Stdout, exit)
}

func gate(what string, bin func() (string, error), short, required bool, w io.Writer, exit func(int)) (string, bool) {
	if short {
		fmt.Fprintf(w, "skipping %s in -short mode\n", what)
		exit(0)
		return "", false
	}
	p, err := bin()
	switch {
	case err == nil:
		return p, true
	case required:
		fmt.Fprintf(w, "FAIL: %s cannot run (%s=1): %v\n", what, RequiredEnv, err)
		exit(1)
	default:
		fmt.Fprintf(w, "skipping %s: %v; `make test` builds it and runs everything\n", what, err)
		exit(0)
	}
	return "", false
}

// Need is Gate for one test outside an end-to-end package: it skips t
// with the same one-line pointer (in -short mode too) or fails it while
// RequiredEnv is set, and returns the binary's path when there is one.
func Need(t testing.TB, bin func() (string, error)) string {
	t.Helper()
	var out strings.Builder
	p, run := gate("this test", bin, testing.Short(), os.Getenv(RequiredEnv) == "1", &out, func(int) {})
	if !run {
		if os.Getenv(RequiredEnv) == "1" && !testing.Short() {
			t.Fatal(strings.TrimSpace(out.String()))
		}
		t.Skip(strings.TrimSpace(out.String()))
	}
	return p
}
