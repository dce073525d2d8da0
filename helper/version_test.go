package helper

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestVersionSaysDevelopmentBuild: a binary stamped with no release (a
// plain go build: main.version stays "dev") says so on its last line; a
// stamped one does not, and both start with "vault-token-helper VERSION",
// which doctor compares with the front's --front-version.
func TestVersionSaysDevelopmentBuild(t *testing.T) {
	t.Parallel()
	const devLine = "development build: no release version was stamped"
	for _, tt := range []struct {
		stamped   string
		wantFirst string
		wantDev   bool
	}{
		{"dev", "vault-token-helper dev", true},
		{"", "vault-token-helper dev", true},
		{"1.2.0", "vault-token-helper 1.2.0", false},
	} {
		t.Run(tt.stamped, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			printVersion(&out, helperName, Env{Version: tt.stamped, Commit: "8012700abcdef"})
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if lines[0] != tt.wantFirst {
				t.Errorf("first line: got %q, want %q", lines[0], tt.wantFirst)
			}
			if len(lines) < 3 || !strings.HasPrefix(lines[1], "commit ") || !strings.HasPrefix(lines[2], "go1.") {
				t.Errorf("got %q, want the commit and the Go version on lines 2 and 3", out.String())
			}
			if got := strings.HasPrefix(lines[len(lines)-1], devLine); got != tt.wantDev {
				t.Errorf("says development build: got %v, want %v, in %q", got, tt.wantDev, out.String())
			}
		})
	}
}

// TestManDateFromSourceDateEpoch: make dist sets SOURCE_DATE_EPOCH to the
// commit's time, so the man page of two builds of one commit is the same.
func TestManDateFromSourceDateEpoch(t *testing.T) {
	t.Parallel()
	now := func() time.Time { return time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC) }
	for _, tt := range []struct{ epoch, want string }{
		{"1764784518", `.TH VAULT-TOKEN-HELPER 1 "2025-12-03"`},
		{"", `.TH VAULT-TOKEN-HELPER 1 "2030-01-02"`},
		{"not a number", `.TH VAULT-TOKEN-HELPER 1 "2030-01-02"`},
	} {
		env := Env{Now: now, Getenv: func(k string) string {
			if k == "SOURCE_DATE_EPOCH" {
				return tt.epoch
			}
			return ""
		}}
		var out bytes.Buffer
		manPage(&out, "1.2.0", manDate(env))
		if !strings.HasPrefix(out.String(), tt.want) {
			first, _, _ := strings.Cut(out.String(), "\n")
			t.Errorf("SOURCE_DATE_EPOCH=%q: got %q, want it to start %q", tt.epoch, first, tt.want)
		}
	}
}
