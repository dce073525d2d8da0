package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRedactorString(t *testing.T) {
	t.Parallel()
	const login, stored, short = "s.LoginTokenABCDEFGHIJKL", "custom-stored-token-0001", "root"
	r := NewRedactor()
	r.Add(login, "")
	r.Add(stored, "acc-stored")
	r.Add(short, "")
	r.Add(stored, "") // adding again without an accessor keeps the accessor
	tests := []struct {
		name, in, want string
	}{
		{"nothing to redact", "vault at http://v: lookup-self: HTTP 502 Bad Gateway", "vault at http://v: lookup-self: HTTP 502 Bad Gateway"},
		{"a registered token", "HTTP 502 token=" + login + " rejected", "HTTP 502 token=" + Redacted + " rejected"},
		{"named by its accessor", "echo: " + stored, "echo: <redacted token, accessor acc-stored>"},
		{"every occurrence", login + login, Redacted + Redacted},
		{"too short to register", "refusing the root token", "refusing the root token"},
		{"shaped like a Vault token, never registered", "X-Vault-Token: hvs.CAESIJ0123456789abcdefghijklmnop end", "X-Vault-Token: " + Redacted + " end"},
		{"batch token shape", "hvb.AAAAAQJ0123456789abcdefghijk", Redacted},
		{"too short for the shape", "hvs.short and hvs", "hvs.short and hvs"},
		{"prefix inside a word is no token", "xhvs.0123456789abcdefghijklmnop", "xhvs.0123456789abcdefghijklmnop"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := r.String(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRedactorNilRedactsShapesOnly(t *testing.T) {
	t.Parallel()
	var r *Redactor
	r.Add("custom-stored-token-0001", "a") // a no-op, not a panic
	in := "custom-stored-token-0001 hvs.0123456789abcdefghijklmnop"
	if got, want := r.String(in), "custom-stored-token-0001 "+Redacted; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestRedactorErrorKeepsTheChain(t *testing.T) {
	t.Parallel()
	r := NewRedactor()
	r.Add("s.LoginTokenABCDEFGHIJKL", "acc")
	err := r.Error(fmt.Errorf("store: %w: echoed s.LoginTokenABCDEFGHIJKL", fs.ErrPermission))
	if strings.Contains(err.Error(), "LoginToken") || !strings.Contains(err.Error(), "accessor acc") {
		t.Errorf("got %q, want the token named by its accessor", err)
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("errors.Is(err, fs.ErrPermission): got false, want true")
	}
	plain := errors.New("nothing secret")
	if got := r.Error(plain); got != plain {
		t.Errorf("an error without a token: got %v, want it unchanged", got)
	}
	if r.Error(nil) != nil {
		t.Errorf("Error(nil): got non-nil, want nil")
	}
}

func TestRedactorWriter(t *testing.T) {
	t.Parallel()
	r := NewRedactor()
	var buf bytes.Buffer
	w := r.Writer(&buf)
	r.Add("s.LoginTokenABCDEFGHIJKL", "") // registered after the writer was made
	in := "vault-token-helper: store: HTTP 502 s.LoginTokenABCDEFGHIJKL\n"
	n, err := fmt.Fprint(w, in)
	if err != nil || n != len(in) {
		t.Errorf("Write: got %d, %v; want %d, nil", n, err, len(in))
	}
	if got, want := buf.String(), "vault-token-helper: store: HTTP 502 "+Redacted+"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// Save never keeps a token in an error text, whatever the caller put
// there; the token itself is stored as it is.
func TestSaveRedactsErrorTexts(t *testing.T) {
	t.Parallel()
	const tok = "s.StoredTokenABCDEFGHIJK"
	f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
	f.Redact = NewRedactor()
	k := testKey(t)
	s, err := f.Lock(context.Background(), k, time.Second)
	must(t, err)
	st, err := s.Load()
	must(t, err)
	st.Current = &Token{Token: tok, Accessor: "acc-1", Source: SourceMinted}
	must(t, s.Save(st))
	st, err = s.Load() // reading it registers it
	must(t, err)
	st.Pending = []Pending{{Accessor: "old", LastError: "HTTP 502 " + tok + " and hvs.0123456789abcdefghijklmnop"}}
	st.LastRenew = &Renewal{Result: "ERROR " + tok}
	must(t, s.Save(st))
	s.Close()
	if st.Pending[0].LastError == "" || !strings.Contains(st.Pending[0].LastError, tok) {
		t.Errorf("Save changed the caller's state")
	}
	got, err := f.read(k)
	must(t, err)
	if got.Current == nil || got.Current.Token != tok {
		t.Errorf("the current token was not stored as it is")
	}
	for _, text := range []string{got.Pending[0].LastError, got.LastRenew.Result} {
		if strings.Contains(text, tok) || strings.Contains(text, "hvs.0123") || !strings.Contains(text, "<redacted token") {
			t.Errorf("error text in the state file: got %q, want the tokens redacted", text)
		}
	}
}
