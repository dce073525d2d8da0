package names

import (
	"os"
	"path/filepath"
	"testing"
)

func TestOf(t *testing.T) {
	t.Parallel()
	cases := []struct {
		self string
		want Set
	}{
		{"/usr/bin/vault-token-helper", Usual},
		{"vault-token-helper-full", Usual},
		{"/home/u/go/bin/token-helper", GoInstall},
		{"/home/u/go/bin/token-helper-full", GoInstall},
		{"/home/u/go/bin/renew", GoInstall},
		{"/opt/bin/my-helper", Usual},
		{`C:/Users/u/go/bin/token-helper.exe`, Set{"token-helper.exe", "token-helper-full.exe", "renew.exe"}},
		{`vault-token-helper.EXE`, Set{"vault-token-helper.EXE", "vault-token-helper-full.EXE", "vault-token-renew.EXE"}},
	}
	for _, c := range cases {
		if got := Of(c.self); got != c.want {
			t.Errorf("Of(%q) = %+v, want %+v", c.self, got, c.want)
		}
	}
}

func TestIn(t *testing.T) {
	t.Parallel()
	touch := func(dir string, names ...string) {
		t.Helper()
		for _, n := range names {
			if err := os.WriteFile(filepath.Join(dir, n), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	usual, goinst, partial, empty := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	touch(usual, Usual.All()...)
	touch(goinst, GoInstall.All()...)
	touch(partial, GoInstall.Helper, GoInstall.Full)
	cases := []struct {
		name, dir string
		want      Set
	}{
		{"usual", usual, Usual},
		{"go install", goinst, GoInstall},
		{"an incomplete go install", partial, Usual},
		{"nothing", empty, Usual},
	}
	for _, c := range cases {
		if got := In(c.dir, ""); got != c.want {
			t.Errorf("%s: In = %+v, want %+v", c.name, got, c.want)
		}
	}
}
