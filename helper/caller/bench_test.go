package caller

import (
	"os"
	"testing"
)

// What get pays for knowing its caller, without a process start: reading
// the parent (here `go test`'s parent: not a CLI, only its executable is
// read) and parsing a CLI command line. Run with -bench; nothing asserts
// a time.

func BenchmarkIdentify(b *testing.B) {
	for b.Loop() {
		_ = Identify("get")
	}
}

// BenchmarkIdentifyCLI reads a CLI parent: its executable and its
// arguments (this process stands in for it).
func BenchmarkIdentifyCLI(b *testing.B) {
	self := sysProcs{}
	for b.Loop() {
		_, _, _ = classify(asCLI{self}, 0)
	}
}

// asCLI reads this process as if it were the CLI.
type asCLI struct{ sysProcs }

func (a asCLI) exe(int) (string, error) { return "/usr/bin/vault", nil }
func (a asCLI) args(int) ([]string, error) {
	return a.sysProcs.args(pidSelf)
}

func BenchmarkParse(b *testing.B) {
	args := []string{"token", "lookup", "-format=json", "-address=http://127.0.0.1:8200"}
	for b.Loop() {
		if _, err := Parse(args); err != nil {
			b.Fatal(err)
		}
	}
}

var pidSelf = os.Getpid()
