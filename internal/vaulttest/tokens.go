package vaulttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api"
)

// Login logs in with userpass through the API (not the CLI) and returns
// the token.
func (s *Server) Login(t T, user string) string {
	t.Helper()
	c := s.Client(t, "")
	sec, err := c.Logical().Write("auth/userpass/login/"+user, map[string]any{"password": Password})
	if err != nil {
		t.Fatalf("userpass login %s: %v", user, err)
	}
	return sec.Auth.ClientToken
}

// MintPeriodic creates an orphan periodic token as root, as a person
// would by hand, and returns the token and its accessor.
func (s *Server) MintPeriodic(t T, displayName string, policies ...string) (token, accessor string) {
	t.Helper()
	return s.MintPeriodicMeta(t, displayName, nil, policies...)
}

// MintPeriodicMeta is MintPeriodic with token metadata, as the helper
// would write it on another machine.
func (s *Server) MintPeriodicMeta(t T, displayName string, meta map[string]string, policies ...string) (token, accessor string) {
	t.Helper()
	sec, err := s.Root(t).Auth().Token().CreateOrphan(&api.TokenCreateRequest{
		Metadata:    meta,
		Policies:    policies,
		Period:      "768h",
		DisplayName: displayName,
		Renewable:   boolPtr(true),
	})
	if err != nil {
		t.Fatalf("mint periodic token: %v", err)
	}
	return sec.Auth.ClientToken, sec.Auth.Accessor
}

func boolPtr(b bool) *bool { return &b }

// Token is what root sees of a live token.
type Token struct {
	Accessor    string
	DisplayName string
	Policies    []string
	TTL         time.Duration
	Period      time.Duration
	Orphan      bool
	Meta        map[string]string
}

// Tokens lists every live token with the given display name (as Vault
// shows it, for example "token-devvm-wizard"), as root.
func (s *Server) Tokens(t T, displayName string) []Token {
	t.Helper()
	all, err := s.AllTokens()
	if err != nil {
		t.Fatal(err)
	}
	return named(all, displayName)
}

// AllTokens lists every live token, as root.
func (s *Server) AllTokens() ([]Token, error) {
	root, err := s.newClient(s.RootToken)
	if err != nil {
		return nil, err
	}
	return liveTokens(root)
}

// named is the tokens of all with the display name.
func named(all []Token, displayName string) []Token {
	var out []Token
	for _, tok := range all {
		if tok.DisplayName == displayName {
			out = append(out, tok)
		}
	}
	return out
}

// liveTokens lists every live token that root's namespace holds (a
// namespace's accessors are listed in it), looking each accessor up.
func liveTokens(root *api.Client) ([]Token, error) {
	sec, err := root.Logical().List("auth/token/accessors")
	if err != nil {
		return nil, fmt.Errorf("list accessors: %w", err)
	}
	if sec == nil {
		return nil, nil
	}
	keys, _ := sec.Data["keys"].([]any)
	var out []Token
	for _, k := range keys {
		acc, _ := k.(string)
		info, err := root.Auth().Token().LookupAccessor(acc)
		if err != nil {
			var re *api.ResponseError
			// Revoked between list and lookup: 400 invalid accessor, or
			// 403 while its revocation is still pending (root is never
			// denied otherwise; seen on a raft cluster).
			if errors.As(err, &re) && (re.StatusCode == http.StatusBadRequest || re.StatusCode == http.StatusForbidden) {
				continue
			}
			return nil, fmt.Errorf("lookup accessor %s: %w", acc, err)
		}
		out = append(out, tokenFromSecret(info))
	}
	return out, nil
}

// Revoke revokes the token with the given accessor as root, as someone
// else would behind the tool's back.
func (s *Server) Revoke(t T, accessor string) {
	t.Helper()
	if err := s.Root(t).Auth().Token().RevokeAccessor(accessor); err != nil {
		t.Fatalf("revoke %s as root: %v", accessor, err)
	}
}

// Lookup returns what root sees of the token with the given accessor.
func (s *Server) Lookup(t T, accessor string) (Token, error) {
	t.Helper()
	info, err := s.Root(t).Auth().Token().LookupAccessor(accessor)
	if err != nil {
		return Token{}, err
	}
	return tokenFromSecret(info), nil
}

// LookupToken returns what the token sees of itself.
func (s *Server) LookupToken(t T, token string) (Token, error) {
	t.Helper()
	info, err := s.Client(t, token).Auth().Token().LookupSelf()
	if err != nil {
		return Token{}, err
	}
	return tokenFromSecret(info), nil
}

func tokenFromSecret(sec *api.Secret) Token {
	tok := Token{Meta: map[string]string{}}
	if sec == nil {
		return tok
	}
	d := sec.Data
	tok.Accessor, _ = d["accessor"].(string)
	tok.DisplayName, _ = d["display_name"].(string)
	tok.Orphan, _ = d["orphan"].(bool)
	if ps, ok := d["policies"].([]any); ok {
		for _, p := range ps {
			if s, ok := p.(string); ok {
				tok.Policies = append(tok.Policies, s)
			}
		}
	}
	tok.TTL = seconds(d["ttl"])
	tok.Period = seconds(d["period"])
	if m, ok := d["meta"].(map[string]any); ok {
		for k, v := range m {
			tok.Meta[k], _ = v.(string)
		}
	}
	return tok
}

func seconds(v any) time.Duration {
	switch n := v.(type) {
	case float64:
		return time.Duration(n) * time.Second
	case interface{ Int64() (int64, error) }:
		i, _ := n.Int64()
		return time.Duration(i) * time.Second
	case string:
		i, _ := strconv.ParseInt(n, 10, 64)
		return time.Duration(i) * time.Second
	}
	return 0
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Tail returns the last n lines.
func (b *syncBuffer) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ctxTimeout is how long any one CLI command may run in a test.
const ctxTimeout = 2 * time.Minute

func commandContext(t T) (context.Context, context.CancelFunc) {
	ctx := context.Background()
	if d, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if dl, ok := d.Deadline(); ok && time.Until(dl) < ctxTimeout {
			return context.WithDeadline(ctx, dl.Add(-5*time.Second))
		}
	}
	return context.WithTimeout(ctx, ctxTimeout)
}
