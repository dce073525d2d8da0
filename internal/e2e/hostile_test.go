package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// Hostile files around the token store: each is refused with a clear
// error, the old token stays, nothing is minted and nothing is written
// through a link.
func TestHostileFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// plant changes the files; it returns a path whose content must
		// not change (or "").
		plant    func(t *testing.T, h *vaulttest.Home, state string) (untouched string)
		storeOK  bool   // the store still succeeds (the hazard is avoided, not refused)
		wantErr  string // in the CLI's output when the store fails
		getFails bool   // get refuses too
	}{
		{"state file is a symlink to a copy", func(t *testing.T, h *vaulttest.Home, state string) string {
			copyFile(t, state, state+".elsewhere")
			mustDo(t, os.Remove(state))
			mustDo(t, os.Symlink(state+".elsewhere", state))
			return state + ".elsewhere"
		}, false, "symlink", true},
		{"state file is a dangling symlink", func(t *testing.T, h *vaulttest.Home, state string) string {
			mustDo(t, os.Rename(state, state+".moved"))
			mustDo(t, os.Symlink(state+".nowhere", state))
			return state + ".moved"
		}, false, "symlink", true},
		{"address directory is a symlink", func(t *testing.T, h *vaulttest.Home, state string) string {
			dir := filepath.Dir(state)
			mustDo(t, os.Rename(dir, dir+".real"))
			mustDo(t, os.Symlink(dir+".real", dir))
			return filepath.Join(dir+".real", "state.json")
		}, false, "symlink", true},
		{"data directory is a symlink", func(t *testing.T, h *vaulttest.Home, state string) string {
			root := filepath.Join(h.DataHome, "vault-token-helper")
			mustDo(t, os.Rename(root, root+".real"))
			mustDo(t, os.Symlink(root+".real", root))
			return ""
		}, false, "symlink", true},
		{"state file is world readable", func(t *testing.T, h *vaulttest.Home, state string) string {
			mustDo(t, os.Chmod(state, 0o644))
			return state
		}, false, "chmod 600", true},
		{"address directory is open to others", func(t *testing.T, h *vaulttest.Home, state string) string {
			mustDo(t, os.Chmod(filepath.Dir(state), 0o755))
			return state
		}, false, "chmod 700", true},
		{"state file owned by someone else", func(t *testing.T, h *vaulttest.Home, state string) string {
			if os.Geteuid() != 0 {
				t.Skip("needs root to give a file away; the store unit test covers a foreign owner")
			}
			mustDo(t, os.Chown(state, 65534, 65534))
			return state
		}, false, "owned by uid 65534", true},
		{"planted temp file names", func(t *testing.T, h *vaulttest.Home, state string) string {
			target := filepath.Join(h.Dir, "planted-target")
			mustDo(t, os.WriteFile(target, []byte("keep"), 0o600))
			for _, name := range []string{".state.json.tmp-1", ".state.json.tmp-123456789", ".state.json.tmp-"} {
				mustDo(t, os.Symlink(target, filepath.Join(filepath.Dir(state), name)))
			}
			return target
		}, true, "", false},
		{"~/.vault-token is a symlink", func(t *testing.T, h *vaulttest.Home, state string) string {
			target := filepath.Join(h.Dir, "mirror-target")
			mustDo(t, os.WriteFile(target, []byte("keep"), 0o600))
			mustDo(t, os.Remove(h.TokenFile()))
			mustDo(t, os.Symlink(target, h.TokenFile()))
			return target
		}, true, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, h := world(t, rotatingConfig)
			mustExit(t, "first admin login", h.LoginUserpass(t, "admin"), 0)
			old := helperGet(t, h)
			state := statePath(t, h)
			untouched := tt.plant(t, h, state)
			var before []byte
			if untouched != "" {
				before, _ = os.ReadFile(untouched)
			}

			res := h.LoginUserpass(t, "admin")
			if tt.storeOK {
				mustExit(t, "admin login", res, 0)
			} else {
				mustExit(t, "admin login", res, 2)
				if !strings.Contains(res.Stderr, tt.wantErr) || !strings.Contains(res.Stderr, "vault-token-helper:") {
					t.Errorf("the login output does not explain %q:\n%s", tt.wantErr, res)
				}
				if n := len(s.Tokens(t, wizard)); n != 1 {
					t.Errorf("live %s tokens = %d, want 1 (nothing minted)", wizard, n)
				}
				if _, err := s.LookupToken(t, old); err != nil {
					t.Errorf("the old periodic token no longer works: %v", err)
				}
			}
			get := h.Run(t, "", bins.Helper, "get")
			if tt.getFails && (get.Code != 1 || get.Stdout != "" || !strings.Contains(get.Stderr, tt.wantErr)) {
				t.Errorf("get: %s\nwant exit 1 explaining %q", get, tt.wantErr)
			}
			if !tt.getFails && (get.Code != 0 || !tokenRE.MatchString(get.Stdout)) {
				t.Errorf("get: %s\nwant a token", get)
			}
			if untouched != "" {
				after, _ := os.ReadFile(untouched)
				if string(after) != string(before) {
					t.Errorf("%s changed", untouched)
				}
			}
			if tt.name == "~/.vault-token is a symlink" && !strings.Contains(logText(t, h), "op=mirror") {
				t.Errorf("the log has no warning about the symlinked ~/.vault-token")
			}
			if tt.storeOK {
				if n := len(s.Tokens(t, wizard)); n != 1 {
					t.Errorf("live %s tokens = %d, want 1", wizard, n)
				}
			}
		})
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	mustDo(t, err)
	mustDo(t, os.WriteFile(to, b, 0o600))
}

// mountTmpfs mounts a small tmpfs at dir for the test, or skips when this
// machine does not allow it (store's unit tests inject ENOSPC/EROFS then).
func mountTmpfs(t *testing.T, dir string, size string) {
	t.Helper()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the store unit tests inject the same errors", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// A full disk and a read-only file system under the token store: the
// store fails with the cause, the old token stays and works, and no token
// is left minted.
func TestFullAndReadOnlyDisk(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		break_  func(t *testing.T, mnt string)
		wantErr string
	}{
		{"full", func(t *testing.T, mnt string) {
			f, err := os.Create(filepath.Join(mnt, "fill"))
			mustDo(t, err)
			defer f.Close()
			buf := make([]byte, 4096)
			for {
				if _, err := f.Write(buf); err != nil {
					if !strings.Contains(err.Error(), "no space") {
						t.Fatalf("filling the tmpfs: %v", err)
					}
					return
				}
			}
		}, "no space left on device"},
		{"read-only", func(t *testing.T, mnt string) {
			if out, err := exec.Command("mount", "-o", "remount,ro", mnt).CombinedOutput(); err != nil {
				t.Fatalf("remount read-only: %v: %s", err, out)
			}
		}, "read-only file system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, h := world(t, rotatingConfig)
			mnt := filepath.Join(h.Dir, "small-disk")
			mustDo(t, os.Mkdir(mnt, 0o700))
			mountTmpfs(t, mnt, "256k")
			h.DataHome = filepath.Join(mnt, "data")
			h.Setenv("XDG_DATA_HOME", h.DataHome)
			mustExit(t, "first admin login", h.LoginUserpass(t, "admin"), 0)
			old := helperGet(t, h)

			tt.break_(t, mnt)
			res := h.LoginUserpass(t, "admin")
			mustExit(t, "admin login on a "+tt.name+" disk", res, 2)
			if !strings.Contains(res.Stderr, tt.wantErr) {
				t.Errorf("the login output does not say %q:\n%s", tt.wantErr, res)
			}
			if got := helperGet(t, h); got != old {
				t.Errorf("the stored token changed")
			}
			if _, err := s.LookupToken(t, old); err != nil {
				t.Errorf("the old token no longer works: %v", err)
			}
			if n := len(s.Tokens(t, wizard)); n != 1 {
				t.Errorf("live %s tokens = %d, want 1 (nothing left minted)", wizard, n)
			}
		})
	}
}
