package main

import (
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

var update = flag.Bool("update", false, "rewrite the README's 60-seconds block from the demo")

// TestREADMEMatchesDemo runs the demo and compares its transcript with the
// README's 60-seconds block, line for line, so the two cannot drift.
func TestREADMEMatchesDemo(t *testing.T) {
	vaulttest.Need(t, vaulttest.BinPath) // the demo runs a real Vault
	bins, err := vaulttest.Build(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	got := story(t, bins)
	readme := filepath.Join("..", "..", "README.md")
	if *update {
		if err := rewriteREADME(readme, got); err != nil {
			t.Fatal(err)
		}
		return
	}
	_, want, _, err := readmeBlock(readme)
	if err != nil {
		t.Fatal(err)
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Fatalf("README.md's 60 seconds differs from the demo at line %d of the block:\n got (demo):   %q\nwant (README): %q\nrun `go test ./internal/demo -update` (or `make demo README=README.md`) if the demo is right", i+1, gl, wl)
		}
	}
}
