package setup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSetupWindowsNames: on Windows setup installs the three binaries
// with .exe and writes token_helper with forward slashes (a backslash is
// an escape in HCL; the Vault CLI runs the helper by exact path, .exe
// included); uninstall removes the .exe files.
func TestSetupWindowsNames(t *testing.T) {
	t.Parallel()
	w := newWorld(t, "https://vault.example.com:8200")
	w.env.GOOS = "windows"
	for _, n := range []string{HelperName, FullName, RenewName} {
		src := filepath.Join(w.env.BinSource, n)
		if err := os.Rename(src, src+".exe"); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := w.run(t, "--prefix", w.prefix, "--scheduler", "none")
	if code != ExitOK || errOut != "" {
		t.Fatalf("setup: exit %d, stderr %q\n%s", code, errOut, out)
	}
	bin := filepath.ToSlash(filepath.Join(w.prefix, "bin", HelperName+".exe"))
	got := readOrEmpty(t, filepath.Join(w.home, ".vault"))
	if want := "token_helper = \"" + bin + "\"\n"; got != want || strings.Contains(got, `\`) {
		t.Errorf("~/.vault = %q, want %q", got, want)
	}
	for _, n := range []string{HelperName, FullName, RenewName} {
		if _, err := os.Stat(filepath.Join(w.prefix, "bin", n+".exe")); err != nil {
			t.Errorf("%s.exe not installed: %v", n, err)
		}
	}
	if code, out, errOut := w.run(t, "--prefix", w.prefix, "--uninstall", "--scheduler", "none"); code != ExitOK {
		t.Fatalf("uninstall: exit %d, stderr %q\n%s", code, errOut, out)
	}
	for _, n := range []string{HelperName, FullName, RenewName} {
		if _, err := os.Lstat(filepath.Join(w.prefix, "bin", n+".exe")); err == nil {
			t.Errorf("%s.exe still installed after uninstall", n)
		}
	}
}
