//go:build !windows

package disk

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// WriteFile's options, each against what was at the path before.
func TestWriteFileOptions(t *testing.T) {
	t.Parallel()
	errCheck := errors.New("the last check says no")
	tests := []struct {
		name     string
		before   string // "", "file", "symlink"
		opt      WriteOptions
		wantErr  error // errors.Is; nil: success
		want     string
		wantMode fs.FileMode
	}{
		{"new file, default mode", "", WriteOptions{}, nil, "new", 0o600},
		{"replace a file, mode given", "file", WriteOptions{Mode: 0o755}, nil, "new", 0o755},
		{"a symlink is refused by default", "symlink", WriteOptions{}, ErrUnsafe, "", 0},
		{"a symlink is replaced with ReplaceLink", "symlink", WriteOptions{ReplaceLink: true, Mode: 0o644}, nil, "new", 0o644},
		{"NoReplace on a free path", "", WriteOptions{NoReplace: true}, nil, "new", 0o600},
		{"NoReplace keeps a file that is there", "file", WriteOptions{NoReplace: true}, fs.ErrExist, "old", 0o600},
		{"NoReplace by link alone on a free path", "", WriteOptions{NoReplace: true, LinkOnly: true}, nil, "new", 0o600},
		{"NoReplace by link alone keeps a file that is there", "file", WriteOptions{NoReplace: true, LinkOnly: true}, fs.ErrExist, "old", 0o600},
		{"BeforeReplace says no: the file stays", "file", WriteOptions{BeforeReplace: func(string) error { return errCheck }}, errCheck, "old", 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			target := filepath.Join(dir, "target")
			if err := os.WriteFile(target, []byte("target"), 0o600); err != nil {
				t.Fatal(err)
			}
			switch tt.before {
			case "file":
				if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
			case "symlink":
				if err := os.Symlink(target, p); err != nil {
					t.Fatal(err)
				}
			}
			err := WriteFile(p, []byte("new"), tt.opt)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("WriteFile: got %v, want %v", err, tt.wantErr)
			}
			if b, _ := os.ReadFile(target); string(b) != "target" {
				t.Errorf("the symlink's target was written through: %q", b)
			}
			if tt.want != "" {
				fi, err := os.Lstat(p)
				if err != nil || !fi.Mode().IsRegular() {
					t.Fatalf("after: %v, %v; want a regular file", fi, err)
				}
				if b, _ := os.ReadFile(p); string(b) != tt.want {
					t.Errorf("content: got %q, want %q", b, tt.want)
				}
				if fi.Mode().Perm() != tt.wantMode {
					t.Errorf("mode: got %v, want %v", fi.Mode().Perm(), tt.wantMode)
				}
			}
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				if e.Name() != "f" && e.Name() != "target" {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}
