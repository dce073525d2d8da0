package store

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
)

// DefaultAddr is the address the Vault CLI uses when VAULT_ADDR is unset.
const DefaultAddr = "https://127.0.0.1:8200"

// ErrBadAddress is returned for a VAULT_ADDR that cannot name a Vault.
var ErrBadAddress = errors.New("bad vault address")

// Key names the token of one Vault: the normalized address plus the
// namespace, kept as a separate field so that "a" + "b/c" never equals
// "a/b" + "c".
type Key struct {
	Addr      string // normalized by NormalizeAddr
	Namespace string // VAULT_NAMESPACE without surrounding slashes
}

// NewKey builds the key for raw VAULT_ADDR and VAULT_NAMESPACE values.
func NewKey(rawAddr, rawNamespace string) (Key, error) {
	addr, err := NormalizeAddr(rawAddr)
	if err != nil {
		return Key{}, err
	}
	return Key{Addr: addr, Namespace: NormalizeNamespace(rawNamespace)}, nil
}

// String is the key as people read it: the address, and the namespace
// when there is one.
func (k Key) String() string {
	if k.Namespace == "" {
		return k.Addr
	}
	return k.Addr + " (namespace " + k.Namespace + ")"
}

// NormalizeNamespace drops surrounding white space and slashes, which
// Vault ignores too ("team/" and "team" are the same namespace).
func NormalizeNamespace(ns string) string {
	return strings.Trim(strings.TrimSpace(ns), "/")
}

// NormalizeAddr turns a VAULT_ADDR value into the form tokens are keyed
// by: scheme and host lowercased, the default port made explicit, the
// trailing slash dropped. An empty value is the CLI's default address.
// unix:// addresses keep their cleaned socket path.
func NormalizeAddr(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		raw = DefaultAddr
	}
	if !strings.Contains(raw, "://") {
		return "", fmt.Errorf("%w %q: no scheme, want https://host:port", ErrBadAddress, raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", ErrBadAddress, raw, unwrapURLError(err))
	}
	switch u.Scheme {
	case "http", "https":
	case "unix":
		p := u.Path
		// A cleaned path with space at either end would not survive the
		// TrimSpace of the next normalization ("unix:/// #" -> "unix:/// ",
		// "unix:////  /" -> "unix:///  ").
		// Nor would a '%', '#', '?' or control character, which the next
		// parse reads as an escape, a fragment, a query or an error.
		c := path.Clean(p)
		if u.Host != "" || p == "" || !path.IsAbs(p) || strings.TrimSpace(c) != c ||
			strings.ContainsFunc(c, func(r rune) bool { return r < 0x20 || r == 0x7f || strings.ContainsRune("%#?", r) }) {
			return "", fmt.Errorf("%w %q: want unix:///absolute/path/to/socket", ErrBadAddress, raw)
		}
		return "unix://" + c, nil
	case "":
		return "", fmt.Errorf("%w %q: no scheme, want https://host:port", ErrBadAddress, raw)
	default:
		return "", fmt.Errorf("%w %q: scheme %q is not http or https", ErrBadAddress, raw, u.Scheme)
	}
	if u.Opaque != "" || u.Host == "" {
		return "", fmt.Errorf("%w %q: no host, want %s://host:port", ErrBadAddress, raw, u.Scheme)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return "", fmt.Errorf("%w %q: user info, query and fragment are not allowed", ErrBadAddress, raw)
	}
	host := strings.ToLower(u.Hostname())
	if host == "" {
		return "", fmt.Errorf("%w %q: empty host", ErrBadAddress, raw)
	}
	port := u.Port()
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return "", fmt.Errorf("%w %q: empty port", ErrBadAddress, raw)
		}
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	if !validPort(port) {
		return "", fmt.Errorf("%w %q: port %q is not a number from 1 to 65535", ErrBadAddress, raw, port)
	}
	p := strings.TrimRight(u.EscapedPath(), "/")
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6, as net.JoinHostPort writes it
	}
	return u.Scheme + "://" + host + ":" + port + p, nil
}

func validPort(p string) bool {
	if len(p) == 0 || len(p) > 5 {
		return false
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= 1 && n <= 65535
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// dirName maps a key to one directory name, injectively: bytes outside a
// small safe set are %-escaped, and the namespace follows "+ns=", which
// an escaped component cannot contain. Names too long for a file system
// become a SHA-256.
func (k Key) dirName() string {
	name := escapeName(k.Addr)
	if k.Namespace != "" {
		name += "+ns=" + escapeName(k.Namespace)
	}
	if len(name) > 200 {
		sum := sha256.Sum256([]byte(k.Addr + "\x00" + k.Namespace))
		return "sha256-" + hex.EncodeToString(sum[:])
	}
	return name
}

func escapeName(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}
