package setup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeBin makes an executable file: the CLI's loader stats the helper.
func fakeBin(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSetTokenHelper(t *testing.T) {
	t.Parallel()
	const bin = "/opt/vth/bin/vault-token-helper"
	tests := []struct {
		name    string
		src     string
		want    string
		changed bool
	}{
		{"empty file", "", "token_helper = \"" + bin + "\"\n", true},
		{"comment without final newline (it still has none)", "# comment", "# comment\ntoken_helper = \"" + bin + "\"", true},
		{"comments and blank lines kept", "# a\n\n# b\n", "# a\n\n# b\ntoken_helper = \"" + bin + "\"\n", true},
		{"old value replaced in place, comments kept",
			"# c\n  token_helper=\"/old/helper\" # mine\n# d\n",
			"# c\n  token_helper=\"" + bin + "\" # mine\n# d\n", true},
		{"quoted key", `"token_helper" = "/old"` + "\n", `"token_helper" = "` + bin + `"` + "\n", true},
		{"already set", "token_helper = \"" + bin + "\"\n", "token_helper = \"" + bin + "\"\n", false},
		{"duplicates: first replaced, later removed",
			"token_helper = \"/a\"\n# between\ntoken_helper = \"/b\" # old\n",
			"token_helper = \"" + bin + "\"\n# between\n", true},
		{"heredoc", "# h\ntoken_helper = <<EOF\n/old/helper\nEOF\n# after\n",
			"# h\ntoken_helper = \"" + bin + "\"\n# after\n", true},
		{"CRLF kept", "# c\r\ntoken_helper = \"/old\"\r\n# d\r\n",
			"# c\r\ntoken_helper = \"" + bin + "\"\r\n# d\r\n", true},
		{"CRLF append", "# c\r\n", "# c\r\ntoken_helper = \"" + bin + "\"\r\n", true},
		{"CRLF without final newline", "# c\r\n# d", "# c\r\n# d\r\ntoken_helper = \"" + bin + "\"", true},
		{"JSON value replaced", `{"token_helper": "/x/y"}`, `{"token_helper": "` + bin + `"}`, true},
		{"JSON indented", "{\n  \"token_helper\": \"/x/y\"\n}\n", "{\n  \"token_helper\": \"" + bin + "\"\n}\n", true},
		{"JSON empty object", "{}\n", `{"token_helper": "` + bin + `"}` + "\n", true},
		{"JSON other members: before the first, on its line", "{\n  \"x\": 1\n}\n", "{\n  \"token_helper\": \"" + bin + "\", \"x\": 1\n}\n", true},
		{"JSON already set", `{"token_helper":"` + bin + `"}`, `{"token_helper":"` + bin + `"}`, false},
		{"JSON duplicates", `{"token_helper": "/a", "token_helper": "/b"}`, `{"token_helper": "` + bin + `"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, changed, err := SetTokenHelper([]byte(tt.src), bin)
			if err != nil {
				t.Fatalf("SetTokenHelper: %v", err)
			}
			if string(got) != tt.want || changed != tt.changed {
				t.Errorf("SetTokenHelper(%q) = %q, %v; want %q, %v", tt.src, got, changed, tt.want, tt.changed)
			}
			if v := TokenHelperValue(got); v != bin {
				t.Errorf("token_helper of the result = %q, want %q", v, bin)
			}
		})
	}
}

func TestUnsetTokenHelper(t *testing.T) {
	t.Parallel()
	const bin = "/opt/vth/bin/vault-token-helper"
	ours := func(v string) bool { return v == bin }
	tests := []struct {
		name    string
		src     string
		want    string
		changed bool
	}{
		{"only ours", "token_helper = \"" + bin + "\"\n", "", true},
		{"trailing comment removed with it (issue 16)", "# keep\ntoken_helper = \"" + bin + "\" # installed by vth\n# keep too\n",
			"# keep\n# keep too\n", true},
		{"trailing // comment", "token_helper = \"" + bin + "\" // x\n", "", true},
		{"no final newline: the line break before it goes too", "# keep\ntoken_helper = \"" + bin + "\"", "# keep", true},
		{"CRLF, no final newline", "# keep\r\ntoken_helper = \"" + bin + "\"", "# keep", true},
		{"indented", "  token_helper = \"" + bin + "\"\n# c\n", "# c\n", true},
		{"another helper stays", "token_helper = \"/other/helper\"\n", "token_helper = \"/other/helper\"\n", false},
		{"empty", "", "", false},
		{"heredoc naming ours", "token_helper = <<EOF\n" + bin + "\nEOF\n# after\n", "# after\n", true},
		{"CRLF", "# a\r\ntoken_helper = \"" + bin + "\" # c\r\n# b\r\n", "# a\r\n# b\r\n", true},
		{"duplicates of ours", "token_helper = \"" + bin + "\"\ntoken_helper = \"" + bin + "\"\n", "", true},
		{"JSON only member", `{"token_helper": "` + bin + `"}`, `{}`, true},
		{"JSON indented", "{\n  \"token_helper\": \"" + bin + "\"\n}\n", "{}\n", true},
		{"JSON with another member after", `{"token_helper": "` + bin + `", "x": 1}`, `{"x": 1}`, true},
		{"JSON with another member before", `{"x": 1, "token_helper": "` + bin + `"}`, `{"x": 1}`, true},
		{"JSON another helper", `{"token_helper": "/other"}`, `{"token_helper": "/other"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, changed, err := UnsetTokenHelper([]byte(tt.src), ours)
			if err != nil {
				t.Fatalf("UnsetTokenHelper: %v", err)
			}
			if string(got) != tt.want || changed != tt.changed {
				t.Errorf("UnsetTokenHelper(%q) = %q, %v; want %q, %v", tt.src, got, changed, tt.want, tt.changed)
			}
		})
	}
}

// TestSetThenUnsetIsByteExact: what setup adds, uninstall takes away,
// byte for byte (issue 20, item 9): a file without a final newline
// keeps having none, CRLF stays CRLF.
func TestSetThenUnsetIsByteExact(t *testing.T) {
	t.Parallel()
	const bin = "/opt/vth/bin/vault-token-helper"
	ours := func(v string) bool { return v == bin }
	for _, src := range []string{
		"",
		"\n",
		"# comment",
		"# comment\n",
		"# a\n\n# b",
		"# a\n\n# b\n\n",
		"# c\r\n",
		"# c\r\n# d",
		"  # indented, no newline",
		"{}",
		"{}\n",
		`{"x": 1}`,
		"{\n  \"x\": 1\n}\n",
	} {
		t.Run(fmt.Sprintf("%q", src), func(t *testing.T) {
			t.Parallel()
			set, changed, err := SetTokenHelper([]byte(src), bin)
			if err != nil || !changed {
				t.Fatalf("SetTokenHelper: got %q, %v, %v; want a change", set, changed, err)
			}
			got, changed, err := UnsetTokenHelper(set, ours)
			if err != nil || !changed {
				t.Fatalf("UnsetTokenHelper(%q): got %v, %v; want a change", set, changed, err)
			}
			if string(got) != src {
				t.Errorf("set then unset: got %q, want the original %q", got, src)
			}
		})
	}
}

func TestEditErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		want error // nil: any error
	}{
		{"HCL syntax error", "token_helper = \"unterminated\n", nil},
		{"list value", "token_helper = [\"/a\"]\n", ErrNotString},
		{"broken JSON", `{"token_helper": "/a"`, nil},
		{"JSON number", `{"token_helper": 1}`, ErrNotString},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := SetTokenHelper([]byte(tt.src), "/bin/x")
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("SetTokenHelper(%q): got error %v, want %v", tt.src, err, tt.want)
			}
		})
	}
}

// Apply against the CLI's own loader: what it writes, the CLI loads; what
// the CLI would not load is never written.
func TestApply(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		initial  *string // nil: no file
		mode     fs.FileMode
		set      bool
		want     string // the file afterwards
		wantErr  error
		changed  bool
		backedUp bool
	}{
		{"create", nil, 0, true, "token_helper = \"BIN\"\n", nil, true, false},
		{"JSON stays JSON (issue 16)", ptr(`{"token_helper": "OTHER"}`), 0o644, true, `{"token_helper": "BIN"}`, nil, true, true},
		{"comment kept, mode kept", ptr("# mine\n"), 0o640, true, "# mine\ntoken_helper = \"BIN\"\n", nil, true, true},
		{"second run", ptr("token_helper = \"BIN\"\n"), 0o600, true, "token_helper = \"BIN\"\n", nil, false, false},
		{"the CLI already rejects it: untouched", ptr("# mine\nfoo = \"bar\"\n"), 0o600, true, "# mine\nfoo = \"bar\"\n", ErrWouldNotLoad, false, false},
		{"helper that does not exist stays rejected on uninstall", ptr("token_helper = \"BIN\"\nfoo = 1\n"), 0o600, false, "token_helper = \"BIN\"\nfoo = 1\n", ErrWouldNotLoad, false, false},
		{"uninstall with trailing comment", ptr("# a\ntoken_helper = \"BIN\" # c\n"), 0o600, false, "# a\n", nil, true, true},
		{"uninstall leaves another helper", ptr("token_helper = \"OTHER\"\n"), 0o600, false, "token_helper = \"OTHER\"\n", nil, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			bin := fakeBin(t, dir, "vault-token-helper")
			other := fakeBin(t, dir, "other-helper")
			sub := func(s string) string { return strings.NewReplacer("BIN", bin, "OTHER", other).Replace(s) }
			path := filepath.Join(dir, ".vault")
			if tt.initial != nil {
				if err := os.WriteFile(path, []byte(sub(*tt.initial)), tt.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			res, err := Apply(path, bin, tt.set, func(v string) bool { return v == bin }, now)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Apply: got error %v, want %v", err, tt.wantErr)
				}
				if strings.Count(err.Error(), "\n") > 0 || strings.Contains(err.Error(), ".tmp-") {
					t.Errorf("error is not one line naming the file: %q", err)
				}
				if tt.name == "the CLI already rejects it: untouched" && !strings.Contains(err.Error(), `: invalid key "foo" on line 2, so the CLI would not load`) {
					t.Errorf("error = %q, want the loader's cause", err)
				}
			} else if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != sub(tt.want) {
				t.Errorf("file after Apply = %q, want %q", got, sub(tt.want))
			}
			if res.Changed != tt.changed {
				t.Errorf("Changed = %v, want %v", res.Changed, tt.changed)
			}
			if tt.initial != nil {
				if fi, _ := os.Stat(path); fi.Mode().Perm() != tt.mode {
					t.Errorf("mode = %v, want %v", fi.Mode().Perm(), tt.mode)
				}
			}
			bk, _ := filepath.Glob(path + ".bak-*")
			if tt.backedUp {
				if len(bk) != 1 || res.Backup != bk[0] {
					t.Fatalf("backups = %v (reported %q), want one", bk, res.Backup)
				}
				if b, _ := os.ReadFile(bk[0]); string(b) != sub(*tt.initial) {
					t.Errorf("backup = %q, want the original %q", b, sub(*tt.initial))
				}
			} else if len(bk) != 0 {
				t.Errorf("backups = %v, want none", bk)
			}
			if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(leftovers) != 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
			if err == nil && tt.wantErr == nil {
				// The result loads in the CLI and names what it should.
				h, err := loadTokenHelper(path)
				if err != nil {
					t.Fatalf("the CLI's loader rejects the result: %v", err)
				}
				if tt.set && h != bin {
					t.Errorf("the CLI would run %q, want %q", h, bin)
				}
				if !tt.set && h == bin {
					t.Errorf("the CLI would still run our helper")
				}
			}
		})
	}
}

func ptr(s string) *string { return &s }

func TestApplyRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := fakeBin(t, dir, "vault-token-helper")
	target := filepath.Join(dir, "dotfiles-vault")
	if err := os.WriteFile(target, []byte("# dotfiles\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, ".vault")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	_, err := Apply(link, bin, true, nil, time.Now())
	if !errors.Is(err, ErrUnsafeFile) || !strings.Contains(err.Error(), "symlink") {
		t.Errorf("Apply on a symlink: got %v, want ErrUnsafeFile saying symlink", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "# dotfiles\n" {
		t.Errorf("the symlink's target changed: %q", b)
	}

	if os.Geteuid() != 0 {
		t.Skip("not root: cannot make a foreign-owned file (the symlink checks above ran)")
	}
	foreign := filepath.Join(dir, "foreign")
	if err := os.WriteFile(foreign, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(foreign, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	_, err = Apply(foreign, bin, true, nil, time.Now())
	if !errors.Is(err, ErrUnsafeFile) || !strings.Contains(err.Error(), "uid 4242") {
		t.Errorf("Apply on a foreign-owned file: got %v, want ErrUnsafeFile naming uid 4242", err)
	}
}

func TestConfigPaths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		env        map[string]string
		vault, bao string
	}{
		{"defaults", nil, "/home/u/.vault", "/home/u/.bao"},
		{"VAULT_CONFIG_PATH for both", map[string]string{"VAULT_CONFIG_PATH": "/etc/v.hcl"}, "/etc/v.hcl", "/etc/v.hcl"},
		{"BAO_CONFIG_PATH first", map[string]string{"VAULT_CONFIG_PATH": "/etc/v.hcl", "BAO_CONFIG_PATH": "~/b.hcl"}, "/etc/v.hcl", "/home/u/b.hcl"},
		{"BAO_CONFIG_PATH set but empty wins", map[string]string{"VAULT_CONFIG_PATH": "/etc/v.hcl", "BAO_CONFIG_PATH": ""}, "/etc/v.hcl", "/home/u/.bao"},
		{"relative to the working directory", map[string]string{"VAULT_CONFIG_PATH": "v.hcl"}, "/work/v.hcl", "/work/v.hcl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			look := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			if got := VaultConfigPath(look, "/home/u", "/work"); got != tt.vault {
				t.Errorf("VaultConfigPath = %q, want %q", got, tt.vault)
			}
			if got := BaoConfigPath(look, "/home/u", "/work"); got != tt.bao {
				t.Errorf("BaoConfigPath = %q, want %q", got, tt.bao)
			}
		})
	}
}

// Security review, LOW: a hard-linked file (a dotfiles repository's) is
// refused like a symlink; a file that changes between the read and the
// rename is not overwritten, and no backup is left.
func TestApplyRefusesLinkedOrChanged(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	t.Run("hard link", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		bin := fakeBin(t, dir, "vault-token-helper")
		repo := filepath.Join(dir, "dotfiles-vault")
		if err := os.WriteFile(repo, []byte("# dotfiles\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, ".vault")
		if err := os.Link(repo, path); err != nil {
			t.Fatal(err)
		}
		_, err := Apply(path, bin, true, nil, now)
		if !errors.Is(err, ErrUnsafeFile) || !strings.Contains(err.Error(), "hard links") || strings.Contains(err.Error(), "\n") {
			t.Errorf("Apply on a hard-linked file: got %v, want one line, ErrUnsafeFile saying hard links", err)
		}
		if bk, _ := filepath.Glob(path + ".bak-*"); len(bk) != 0 {
			t.Errorf("backups = %v, want none", bk)
		}
		if b, _ := os.ReadFile(repo); string(b) != "# dotfiles\n" {
			t.Errorf("the other link changed: %q", b)
		}
		// Nothing to change: a second run's file is fine as it is.
		if err := os.WriteFile(repo, []byte("token_helper = \""+bin+"\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Apply(path, bin, true, nil, now); err != nil {
			t.Errorf("Apply with nothing to change: %v", err)
		}
	})
}

// TestApplyChangedMeanwhile is not parallel: testHookBeforeRename is
// package state, and the parallel tests wait until it is done.
func TestApplyChangedMeanwhile(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	for _, initial := range []*string{nil, ptr("# mine\n")} {
		t.Run(fmt.Sprintf("existed=%v", initial != nil), func(t *testing.T) {
			dir := t.TempDir()
			bin := fakeBin(t, dir, "vault-token-helper")
			path := filepath.Join(dir, ".vault")
			if initial != nil {
				if err := os.WriteFile(path, []byte(*initial), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			const saved = "# saved by an editor meanwhile\n"
			testHookBeforeRename = func(p string) {
				if err := os.WriteFile(p, []byte(saved), 0o600); err != nil {
					t.Error(err)
				}
			}
			defer func() { testHookBeforeRename = nil }()
			_, err := Apply(path, bin, true, nil, now)
			if !errors.Is(err, ErrChanged) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line, ErrChanged", err)
			}
			if b, _ := os.ReadFile(path); string(b) != saved {
				t.Errorf("file = %q, want the editor's %q", b, saved)
			}
			if bk, _ := filepath.Glob(path + ".bak-*"); len(bk) != 0 {
				t.Errorf("backups = %v, want none", bk)
			}
			if leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp-*")); len(leftovers) != 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

// TestApplyUninstallIsByteExact: setup then uninstall leaves the CLI
// config file as it was, byte for byte, or gone when setup created it
// (issue 20, item 9); lines the user added to a created file stay, and
// an empty file that was there before stays.
func TestApplyUninstallIsByteExact(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		initial *string // nil: no file
		added   string  // appended by the user between setup and uninstall
		want    *string // nil: no file
	}{
		{"created", nil, "", nil},
		{"created, then the user added a line", nil, "# mine\n", ptr("# mine\n")},
		{"no final newline", ptr("# mine"), "", ptr("# mine")},
		{"final newline", ptr("# mine\n"), "", ptr("# mine\n")},
		{"empty file stays", ptr(""), "", ptr("")},
		{"CRLF without final newline", ptr("# a\r\n# b"), "", ptr("# a\r\n# b")},
		{"JSON", ptr("{}"), "", ptr("{}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			bin := fakeBin(t, dir, "vault-token-helper")
			names := func(v string) bool { return v == bin }
			path := filepath.Join(dir, ".vault")
			if tt.initial != nil {
				if err := os.WriteFile(path, []byte(*tt.initial), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			want := tt.want
			if _, err := Apply(path, bin, true, names, now); err != nil {
				t.Fatalf("setup: %v", err)
			}
			if tt.added != "" {
				f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString(tt.added)
				f.Close()
			}
			// setup records the files it creates (setup-created.json);
			// uninstall passes what it recorded.
			res, err := apply(path, bin, false, names, now.Add(time.Second), nil, tt.initial == nil)
			if err != nil {
				t.Fatalf("uninstall: %v", err)
			}
			got, err := os.ReadFile(path)
			switch {
			case want == nil && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("after uninstall: got %q (%v), want no file", got, err)
			case want == nil && !res.Removed:
				t.Errorf("uninstall: got %+v, want Removed", res)
			case want != nil && string(got) != *want:
				t.Errorf("after uninstall: got %q (%v), want %q", got, err, *want)
			}
		})
	}
}

// TestErrorLine: the line the CLI's loader names, as TokenHelperIn
// reports it, for doctor's fix.
func TestErrorLine(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want int
	}{
		{"# c\ntoken_helper = \"unterminated\n", 2},
		{"# c\nfoo = \"bar\"\n", 2},
		{"token_helper = [\"/a\"]\n", 1},
		{"# a\n\n\ntoken_helper \"x\"\n", 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.src), func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(t.TempDir(), ".vault")
			if err := os.WriteFile(p, []byte(tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := TokenHelperIn(p)
			if err == nil {
				t.Fatal("TokenHelperIn: got no error, want the loader's")
			}
			if got := ErrorLine(err.Error()); got != tt.want {
				t.Errorf("ErrorLine(%q): got %d, want %d", err, got, tt.want)
			}
		})
	}
	if got := ErrorLine("unknown error getting the external helper path"); got != 0 {
		t.Errorf("a message naming no line: got %d, want 0", got)
	}
}
