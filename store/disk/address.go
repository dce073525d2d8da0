package disk

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
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

// ErrNeedsNamer is the error of a Namer without the function a key
// needs: ToASCII for a host that is not ASCII, Sum for a key whose
// directory name is too long. The front (get) has neither, and leaves
// those keys to the full binary.
var ErrNeedsNamer = errors.New("this key needs IDNA or SHA-256, which this binary does not link")

// Namer computes keys and their directory names. Its two functions are
// the parts of that computation that need code the front does not link
// (package store gives the full ones): ToASCII converts a host that is
// not ASCII as net/http does (idna.Lookup.ToASCII), Sum hashes a
// directory name too long for a file system (crypto/sha256.Sum256). A
// nil one fails with ErrNeedsNamer where it would be needed; a key that
// needs neither is the same with every Namer.
type Namer struct {
	ToASCII func(host string) (string, error)
	Sum     func(data []byte) [32]byte
}

// NewKey builds the key for raw VAULT_ADDR and VAULT_NAMESPACE values.
func (n Namer) NewKey(rawAddr, rawNamespace string) (Key, error) {
	addr, err := n.NormalizeAddr(rawAddr)
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
// by: the scheme lowercased, the host as the client dials it (see
// dialHost: ASCII lowercased, a non-ASCII name in its IDNA xn-- form, an
// IP literal in its canonical form), the default port made explicit, the
// trailing slash dropped. An empty value is the CLI's default address.
// unix:// addresses keep their cleaned socket path.
func (n Namer) NormalizeAddr(raw string) (string, error) {
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
	if u.Hostname() == "" {
		return "", fmt.Errorf("%w %q: empty host", ErrBadAddress, raw)
	}
	host, err := n.dialHost(u.Hostname())
	if errors.Is(err, ErrNeedsNamer) {
		return "", err
	}
	if err != nil {
		return "", fmt.Errorf("%w %q: %v", ErrBadAddress, raw, err)
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

// dialHost is host as Go's HTTP client dials it, so that a key names the
// server its token is sent to: net/http converts a non-ASCII host with
// idna.Lookup.ToASCII (its idnaASCII) and leaves an ASCII one as it is.
// Unicode lowercasing would not do: "İ.example" lowercases to
// "i.example", another host whose token it would share, while the
// client dials "xn--i-9bb.example". A non-ASCII host IDNA refuses is
// refused: the client would send those bytes to the resolver as they
// are. ASCII is lowercased (DNS names are case-insensitive), and an IP
// literal takes its canonical form (::ffff:127.0.0.1 is 127.0.0.1,
// 0:0::1 is ::1), as the Vault CLI's flag normalizer writes it.
func (n Namer) dialHost(host string) (string, error) {
	if !isASCII(host) {
		if n.ToASCII == nil {
			return "", ErrNeedsNamer
		}
		a, err := n.ToASCII(host)
		if err != nil {
			return "", fmt.Errorf("host %q is not a valid internationalized domain name (%v); write it in its ASCII xn-- form", host, err)
		}
		if a == "" || !isASCII(a) {
			return "", fmt.Errorf("host %q has no ASCII form; write it in its ASCII xn-- form", host)
		}
		host = a
	}
	host = strings.ToLower(host)
	// net.ParseIP's rule, without linking package net: no zone, and an
	// IPv4-mapped address is the IPv4 one.
	if ip, err := netip.ParseAddr(host); err == nil && ip.Zone() == "" {
		host = ip.Unmap().String()
	}
	return host, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// SameServer reports whether two VAULT_ADDR values name one server: the
// one comparison of addresses in this tool (mirror_address, VAULT_ADDR
// against BAO_ADDR). Only spellings of one socket are one server: the two
// normalize to the same address, or one writes localhost where the other
// writes 127.0.0.1, with the same scheme, port and path. Nothing else is,
// however close: 127.0.0.2 is another Vault than 127.0.0.1 (an SSH tunnel,
// a port-forward), and so is ::1 (localhost may resolve to it, but a
// server on 127.0.0.1 does not listen there). No name is resolved: two
// servers behind one ingress, load balancer or CDN share their IP
// addresses, so a DNS answer says nothing about which Vault a name
// reaches (and a lookup could hang past the command's deadline). Values
// that do not normalize are the same only when equal once trimmed.
func (n Namer) SameServer(a, b string) bool {
	na, errA := n.NormalizeAddr(a)
	nb, errB := n.NormalizeAddr(b)
	if errA != nil || errB != nil {
		return errA != nil && errB != nil && strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	if na == nb {
		return true
	}
	ua, errA := url.Parse(na)
	ub, errB := url.Parse(nb)
	if errA != nil || errB != nil || ua.Scheme != ub.Scheme || ua.Port() != ub.Port() || ua.EscapedPath() != ub.EscapedPath() {
		return false
	}
	return loopbackName(ua.Hostname()) && loopbackName(ub.Hostname())
}

// loopbackName reports whether a normalized host is one of the two
// spellings of the IPv4 loopback socket SameServer accepts.
func loopbackName(host string) bool { return host == "localhost" || host == "127.0.0.1" }

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

// DirName maps a key to one directory name, injectively: bytes outside a
// small safe set are %-escaped, and the namespace follows "+ns=", which
// an escaped component cannot contain. Names too long for a file system
// become a SHA-256 (Sum).
func (n Namer) DirName(k Key) (string, error) {
	name := escapeName(k.Addr)
	if k.Namespace != "" {
		name += "+ns=" + escapeName(k.Namespace)
	}
	if len(name) > 200 {
		if n.Sum == nil {
			return "", ErrNeedsNamer
		}
		sum := n.Sum([]byte(k.Addr + "\x00" + k.Namespace))
		return "sha256-" + hex.EncodeToString(sum[:]), nil
	}
	return name, nil
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
