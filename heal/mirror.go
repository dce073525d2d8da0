package heal

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/vault-token-helper/vault-token-helper/store"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// Mirror is ~/.vault-token, kept equal to the periodic token of one
// address for tools that read that file directly (sops, consul-template,
// envconsul...). It is written atomically with mode 0600 and never
// through a symlink.
type Mirror struct {
	Path string
	uid  int
}

// NewMirror returns the mirror at path.
func NewMirror(path string) *Mirror { return &Mirror{Path: path, uid: os.Geteuid()} }

// maxMirrorSize bounds what is read from the mirror file.
const maxMirrorSize = 16 << 10

// Read returns the token in the file without surrounding white space,
// "" when there is no file.
func (m *Mirror) Read() (string, error) {
	b, err := disk.ReadPrivateFile(m.Path, m.uid, maxMirrorSize)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// Write replaces the file with token (no newline, as the CLI writes it).
func (m *Mirror) Write(token string) error { return disk.WriteFileAtomic(m.Path, []byte(token)) }

// RemoveIf removes the file when it holds token.
func (m *Mirror) RemoveIf(token string) error {
	cur, err := m.Read()
	if err != nil || cur != token || token == "" {
		return err
	}
	err = os.Remove(m.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// syncMirror makes the mirror hold the stored periodic token, or, after
// an erase, removes it when it holds the erased token. A passed-through
// login token is never written there. Failures are warnings: the
// store itself succeeded.
func (h *Healer) syncMirror(ctx context.Context, st store.State, erased string) []string {
	if h.Mirror == nil {
		return nil
	}
	var err error
	switch {
	case st.Current != nil && !st.Current.Source.Periodic():
		return nil // a passed-through login is not mirrored
	case st.Current != nil:
		var cur string
		cur, err = h.Mirror.Read()
		if err == nil && cur == st.Current.Token {
			return nil
		}
		err = h.Mirror.Write(st.Current.Token)
		if err == nil {
			h.log(ctx, slog.LevelInfo, EventMirrored, "path", h.Mirror.Path, "accessor", st.Current.Accessor)
		}
	case erased != "":
		err = h.Mirror.RemoveIf(erased)
	}
	if err != nil {
		h.log(ctx, slog.LevelWarn, EventWarn, "op", "mirror", "path", h.Mirror.Path, "error", err.Error())
		return []string{"~/.vault-token not updated: " + err.Error()}
	}
	return nil
}
