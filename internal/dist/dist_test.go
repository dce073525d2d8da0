package dist

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// DistEnv names the directory `make dist` wrote; make test-dist sets it
// (and VersionEnv to the version it stamped). Without it the tests of
// what dist made are skipped: a plain go test builds no release.
const (
	DistEnv    = "VTH_DIST"
	VersionEnv = "VTH_DIST_VERSION"
)

func distDir(t *testing.T) (dir, version string) {
	t.Helper()
	dir, version = os.Getenv(DistEnv), os.Getenv(VersionEnv)
	if dir == "" || version == "" {
		t.Skipf("%s and %s are not set: make test-dist builds the release and runs these", DistEnv, VersionEnv)
	}
	return dir, version
}

// TestChecksums: checksums.txt names every archive and package, once,
// and each one's SHA-256 matches.
func TestChecksums(t *testing.T) {
	t.Parallel()
	dir, version := distDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("checksums.txt line %q is not \"SHA256  NAME\"", line)
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("checksums.txt names %s: %v", name, err)
			continue
		}
		if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: sha256 %x, checksums.txt says %s", name, got, sum)
		}
		listed = append(listed, name)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var present []string
	for _, e := range ents {
		if e.Name() != "checksums.txt" {
			present = append(present, e.Name())
		}
	}
	slices.Sort(listed)
	if !slices.Equal(listed, present) {
		t.Errorf("checksums.txt lists %q, the directory holds %q", listed, present)
	}
	want := []string{}
	for _, p := range []string{"linux_amd64.tar.gz", "linux_arm64.tar.gz", "darwin_amd64.tar.gz", "darwin_arm64.tar.gz", "windows_amd64.zip", "windows_arm64.zip"} {
		want = append(want, "vault-token-helper_"+version+"_"+p)
	}
	for _, name := range want {
		if !slices.Contains(listed, name) {
			t.Errorf("no %s", name)
		}
	}
	for _, suffix := range []string{"_amd64.deb", "_arm64.deb", ".x86_64.rpm", ".aarch64.rpm"} {
		if !slices.ContainsFunc(listed, func(n string) bool { return strings.HasSuffix(n, suffix) }) {
			t.Errorf("no package *%s", suffix)
		}
	}
}

// TestDebInstalls: the amd64 .deb, extracted with dpkg-deb -x into a
// throwaway root, has its files where Debian looks for them, and its
// binaries say the release and set up a user against a dev Vault.
func TestDebInstalls(t *testing.T) {
	t.Parallel()
	dir, version := distDir(t)
	debs, _ := filepath.Glob(filepath.Join(dir, "*_amd64.deb"))
	if len(debs) != 1 {
		t.Fatalf("got %q, want one amd64 .deb", debs)
	}
	root := t.TempDir()
	if out, err := exec.Command("dpkg-deb", "-x", debs[0], root).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -x: %v\n%s", err, out)
	}
	for _, p := range []string{
		"usr/bin/vault-token-helper", "usr/bin/vault-token-helper-full", "usr/bin/vault-token-renew",
		"usr/share/man/man1/vault-token-helper.1.gz",
		"usr/share/bash-completion/completions/vault-token-helper",
		"usr/share/zsh/vendor-completions/_vault-token-helper",
		"usr/share/fish/vendor_completions.d/vault-token-helper.fish",
		"usr/lib/systemd/user/vault-token-renew.service", "usr/lib/systemd/user/vault-token-renew.timer",
		"usr/share/doc/vault-token-helper/LICENSE",
		"usr/share/doc/vault-token-helper/licenses/golang.org/x/sys/LICENSE",
	} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("the .deb has no /%s: %v", p, err)
		}
	}
	unit, _ := os.ReadFile(filepath.Join(root, "usr/lib/systemd/user/vault-token-renew.service"))
	if !strings.Contains(string(unit), "ExecStart=/usr/bin/vault-token-renew") {
		t.Errorf("the packaged service does not run /usr/bin/vault-token-renew:\n%s", unit)
	}
	worksWithVault(t, filepath.Join(root, "usr", "bin"), version)
}

// TestArchiveInstalls: the linux_amd64 archive unpacks into a working
// install: its binaries say the release, setup installs them for a user,
// and the Vault CLI logs in through the installed helper.
func TestArchiveInstalls(t *testing.T) {
	t.Parallel()
	dir, version := distDir(t)
	base := "vault-token-helper_" + version + "_linux_amd64"
	root := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", filepath.Join(dir, base+".tar.gz"), "-C", root).CombinedOutput(); err != nil {
		t.Fatalf("tar -x: %v\n%s", err, out)
	}
	for _, p := range []string{"LICENSE", "README.md", "man/vault-token-helper.1", "completions/vault-token-helper.bash"} {
		if _, err := os.Stat(filepath.Join(root, base, p)); err != nil {
			t.Errorf("the archive has no %s: %v", p, err)
		}
	}
	// The license text of each linked module, as MIT and BSD ask.
	for _, p := range []string{"licenses/golang.org/x/sys/LICENSE", "licenses/github.com/hashicorp/vault/api/LICENSE"} {
		if _, err := os.Stat(filepath.Join(root, base, p)); err != nil {
			t.Errorf("the archive has no %s: %v", p, err)
		}
	}
	worksWithVault(t, filepath.Join(root, base), version)
}

// worksWithVault runs the binaries in bindir: version names the release
// (not a development build), setup installs them for a new user of a dev
// Vault, and a userpass login through the installed helper works.
func worksWithVault(t *testing.T, bindir, version string) {
	t.Helper()
	vaulttest.Need(t, vaulttest.BinPath)
	s := vaulttest.Start(t)
	h := vaulttest.NewHome(t, s, "")
	for _, name := range []string{"vault-token-helper", "vault-token-renew"} {
		r := h.Run(t, "", filepath.Join(bindir, name), "version")
		first, _, _ := strings.Cut(r.Stdout, "\n")
		if r.Code != 0 || first != name+" "+version || strings.Contains(r.Stdout, "development build") {
			t.Errorf("%s version: got %s; want the first line %q and no development build", name, r, name+" "+version)
		}
	}
	r := h.Run(t, "", filepath.Join(bindir, "vault-token-helper"), "setup", "--scheduler", "none")
	if r.Code != 0 {
		t.Fatalf("setup: %s", r)
	}
	installed := filepath.Join(h.Dir, ".local", "bin", "vault-token-helper")
	if cfg, _ := os.ReadFile(h.VaultCfg); !strings.Contains(string(cfg), installed) {
		t.Errorf("~/.vault after setup = %q, want token_helper = %q", cfg, installed)
	}
	if r := h.LoginUserpass(t, "admin"); r.Code != 0 {
		t.Fatalf("vault login through the installed helper: %s", r)
	}
	if r := h.Vault(t, "token", "lookup"); r.Code != 0 {
		t.Errorf("vault token lookup with the helper's token: %s", r)
	}
}
