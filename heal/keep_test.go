package heal

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// KeepTokenUnchecked stores a passed-through token only where nothing is
// stored, and never touches a stored one.
func TestKeepTokenUnchecked(t *testing.T) {
	t.Parallel()
	key, err := store.NewKey("https://vault.example.com:8200", "")
	if err != nil {
		t.Fatal(err)
	}
	h := &Healer{
		Files: store.New(filepath.Join(t.TempDir(), "data")),
		Key:   key,
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx := context.Background()
	tests := []struct {
		name      string
		token     string
		wantEvent string
		wantErr   error
	}{
		{"nothing stored: kept", "s.first", EventPassthrough, nil},
		{"the same token again", "s.first", EventUnchanged, nil},
		{"another token: left alone", "s.second", "", ErrStoredAlready},
	}
	for _, tt := range tests {
		res, err := h.KeepTokenUnchecked(ctx, tt.token)
		if !errors.Is(err, tt.wantErr) || res.Event != tt.wantEvent {
			t.Errorf("%s: got %q, %v; want %q, %v", tt.name, res.Event, err, tt.wantEvent, tt.wantErr)
		}
		if tok, err := h.Files.Token(key); err != nil || tok != "s.first" {
			t.Errorf("%s: stored token is not the first one (err %v)", tt.name, err)
		}
	}
	sess, err := h.Files.Lock(ctx, key, store.DefaultLockWait)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	st, err := sess.Load()
	if err != nil {
		t.Fatal(err)
	}
	if st.Current == nil || st.Current.Source != store.SourcePassthrough || st.Current.Accessor != "" {
		t.Errorf("stored record = %+v, want a passthrough without accessor", st.Current)
	}
}
