package setup

import (
	"strings"
	"testing"
)

// setup's messages name the CLI it configures: `bao login` under --cli
// bao alone, `vault login` otherwise.
func TestSetupNamesTheCLIToLogInWith(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cli       string
		want, not string
	}{
		{"bao", "the next bao login mints the periodic token", "vault login"},
		{"vault", "the next vault login mints the periodic token", "bao login"},
		{"both", "the next vault login mints the periodic token", "bao login"},
	}
	for _, tt := range tests {
		t.Run(tt.cli, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, "")
			code, out, errOut := w.run(t, "--prefix", w.prefix, "--cli", tt.cli, "--scheduler", "none")
			if code != 0 {
				t.Fatalf("setup --cli %s: exit %d\n%s%s", tt.cli, code, out, errOut)
			}
			if !strings.Contains(out, tt.want) || strings.Contains(out, tt.not) {
				t.Errorf("setup --cli %s says:\n%s\nwant %q and no %q", tt.cli, out, tt.want, tt.not)
			}
		})
	}
}
