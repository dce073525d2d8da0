package store

import (
	"io"
	"sort"
	"strings"
	"sync"
)

// Redactor is the one redaction of tokens: every token a command knows
// (the login token it was given, the tokens stored on disk, a token Vault
// just minted, the token found in ~/.vault-token) is registered with Add,
// and every error, log line, state field and line of output passes
// through String on its way out. It is the last line of defence behind
// "name a token by its accessor": a Vault, or a proxy in front of it,
// that echoes the request's X-Vault-Token into an error body would
// otherwise put the token into the error text.
//
// Besides the registered tokens, anything shaped like a Vault service,
// batch or recovery token (hvs., hvb., hvr. and at least 20 token
// characters) is redacted too. A nil *Redactor redacts only those.
// A Redactor is safe for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets map[string]string // token -> what replaces it
	order   []string          // tokens, longest first
}

// minSecretLen is the shortest token that is registered: shorter ones
// (a dev server's root token "root") would blank out ordinary words.
const minSecretLen = 8

// Redacted is what replaces a token whose accessor is not known.
const Redacted = "<redacted token>"

// NewRedactor returns a Redactor that knows no token yet.
func NewRedactor() *Redactor { return &Redactor{secrets: map[string]string{}} }

// Add registers token; accessor, when known, names it in the replacement
// ("<redacted token, accessor X>"). Adding a token again with an accessor
// names it; an accessor is never forgotten.
func (r *Redactor) Add(token, accessor string) {
	if r == nil || len(token) < minSecretLen {
		return
	}
	with := Redacted
	if accessor != "" {
		with = "<redacted token, accessor " + accessor + ">"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old, known := r.secrets[token]
	if known && (accessor == "" || old == with) {
		return
	}
	r.secrets[token] = with
	if !known {
		r.order = append(r.order, token)
		sort.SliceStable(r.order, func(i, j int) bool { return len(r.order[i]) > len(r.order[j]) })
	}
}

// String returns s with every registered token, and anything shaped like
// a Vault token, replaced.
func (r *Redactor) String(s string) string {
	if r != nil {
		r.mu.RLock()
		for _, tok := range r.order {
			if strings.Contains(s, tok) {
				s = strings.ReplaceAll(s, tok, r.secrets[tok])
			}
		}
		r.mu.RUnlock()
	}
	return redactShaped(s)
}

// Error returns err with its message redacted; errors.Is and errors.As
// still see err's chain. A nil error stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if red := r.String(msg); red != msg {
		return &redactedError{msg: red, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// Writer returns a writer that redacts each Write before passing it on.
// Every line of the tool's output is one Write (fmt.Fprintf, slog), so a
// token is never split between two.
func (r *Redactor) Writer(w io.Writer) io.Writer { return redactWriter{r: r, w: w} }

type redactWriter struct {
	r *Redactor
	w io.Writer
}

func (rw redactWriter) Write(p []byte) (int, error) {
	s := string(p)
	red := rw.r.String(s)
	if red == s {
		return rw.w.Write(p)
	}
	if _, err := io.WriteString(rw.w, red); err != nil {
		return 0, err
	}
	return len(p), nil
}

// tokenPrefixes are the prefixes of Vault's service, batch and recovery
// tokens (Vault 1.10 and later).
var tokenPrefixes = []string{"hvs.", "hvb.", "hvr."}

// minShapedLen is how many token characters must follow a prefix for a
// string to be taken for a token.
const minShapedLen = 20

// redactShaped replaces anything shaped like a Vault token.
func redactShaped(s string) string {
	if !strings.Contains(s, "hv") {
		return s
	}
	var b strings.Builder
	i := 0
	for i < len(s) {
		j := strings.Index(s[i:], "hv")
		if j < 0 {
			break
		}
		j += i
		end := j + 4
		if end <= len(s) && isPrefix(s[j:end]) && (j == 0 || !isTokenByte(s[j-1])) {
			for end < len(s) && isTokenByte(s[end]) {
				end++
			}
			if end-(j+4) >= minShapedLen {
				b.WriteString(s[i:j])
				b.WriteString(Redacted)
				i = end
				continue
			}
		}
		b.WriteString(s[i : j+2])
		i = j + 2
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(s[i:])
	return b.String()
}

func isPrefix(s string) bool {
	for _, p := range tokenPrefixes {
		if s == p {
			return true
		}
	}
	return false
}

// isTokenByte: the characters of a Vault token after its prefix.
func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}
