package vaulttest

import (
	"errors"
	"strings"
	"testing"
)

func TestGate(t *testing.T) {
	t.Parallel()
	found := func() (string, error) { return "/cache/vault", nil }
	missing := func() (string, error) { return "", errors.New(`vault binary "/cache/vault" not found`) }
	cases := []struct {
		name            string
		bin             func() (string, error)
		short, required bool
		wantRun         bool
		wantCode        int
		wantOut         string
	}{
		{"found", found, false, false, true, -1, ""},
		{"found, required", found, false, true, true, -1, ""},
		{"short", found, true, true, false, 0, "skipping the tests in -short mode"},
		{"missing on a fresh clone", missing, false, false, false, 0, "skipping the tests: vault binary \"/cache/vault\" not found; `make test` builds it"},
		{"missing under make test", missing, false, true, false, 1, "FAIL: the tests cannot run (VTH_E2E=1): vault binary"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			code := -1
			_, run := gate("the tests", c.bin, c.short, c.required, &out, func(n int) { code = n })
			if run != c.wantRun || code != c.wantCode {
				t.Errorf("run, exit = %v, %d; want %v, %d", run, code, c.wantRun, c.wantCode)
			}
			if !strings.Contains(out.String(), c.wantOut) || (c.wantOut == "") != (out.Len() == 0) {
				t.Errorf("printed %q, want %q", out.String(), c.wantOut)
			}
			if strings.Count(out.String(), "\n") > 1 {
				t.Errorf("printed %q, want at most one line", out.String())
			}
		})
	}
}
