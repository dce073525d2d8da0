package store

import (
	"errors"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

func TestNormalizeAddr(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"unset is the CLI default", "", "https://127.0.0.1:8200"},
		{"blank is the CLI default", "  ", "https://127.0.0.1:8200"},
		{"explicit port kept", "http://127.0.0.1:8200", "http://127.0.0.1:8200"},
		{"trailing slash dropped", "http://127.0.0.1:8200/", "http://127.0.0.1:8200"},
		{"host lowercased", "https://Vault.Example.COM:8200", "https://vault.example.com:8200"},
		{"scheme lowercased", "HTTPS://vault.example.com:8200", "https://vault.example.com:8200"},
		{"https default port", "https://vault.example.com", "https://vault.example.com:443"},
		{"http default port", "http://vault.example.com/", "http://vault.example.com:80"},
		{"ipv6", "https://[::1]:8200", "https://[::1]:8200"},
		{"ipv6 default port", "https://[::1]", "https://[::1]:443"},
		{"path kept without trailing slash", "https://proxy.example.com/vault/", "https://proxy.example.com:443/vault"},
		{"surrounding space", " http://a:1 ", "http://a:1"},
		{"unix socket", "unix:///run/vault/agent.sock", "unix:///run/vault/agent.sock"},
		{"unix socket cleaned", "unix:///run//vault/./agent.sock", "unix:///run/vault/agent.sock"},

		// The host as Go's HTTP client dials it (issue 20): IDNA for a
		// non-ASCII name, never Unicode lowercasing.
		{"dotted capital I is its IDNA form", "http://İ.example", "http://xn--i-9bb.example:80"},
		{"non-ASCII name is its IDNA form", "https://Bücher.EXAMPLE:8200", "https://xn--bcher-kva.example:8200"},
		{"Kelvin sign maps as IDNA maps it", "https://\u212a.example", "https://k.example:443"},
		{"percent-encoded non-ASCII host", "https://%C3%BC.example", "https://xn--tda.example:443"},
		{"fullwidth digits are the IP they map to", "http://１２７.０.０.１:8200", "http://127.0.0.1:8200"},
		{"ideographic full stop is a dot", "http://ü。example:1", "http://xn--tda.example:1"},
		{"an xn-- name stays as written", "http://XN--TDA.example:1", "http://xn--tda.example:1"},
		// An IP literal in its canonical form: one socket, one key.
		{"ipv6 canonical form", "http://[0:0:0:0:0:0:0:1]:8200", "http://[::1]:8200"},
		{"ipv6 upper case", "http://[FE80::A]:8200", "http://[fe80::a]:8200"},
		{"ipv4-mapped ipv6 is the ipv4 address", "http://[::ffff:127.0.0.1]:8200", "http://127.0.0.1:8200"},
		{"127.0.0.2 stays itself", "http://127.0.0.2:8200", "http://127.0.0.2:8200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeAddr(tt.in)
			if err != nil {
				t.Fatalf("NormalizeAddr(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("NormalizeAddr(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := NormalizeAddr(got)
			if err != nil || again != got {
				t.Errorf("NormalizeAddr is not idempotent: NormalizeAddr(%q) = %q, %v", got, again, err)
			}
		})
	}
}

func TestNormalizeAddrErrors(t *testing.T) {
	for _, in := range []string{
		"127.0.0.1:8200",
		"vault.example.com:8200",
		"ftp://vault.example.com",
		"https://",
		"https://:8200",
		"https://vault:0",
		"https://vault:99999",
		"https://vault:",
		"https://user:pass@vault:8200",
		"https://vault:8200/?x=1",
		"https://vault:8200/#frag",
		"unix://relative/path",
		"unix://",
		"http://[::1",
		"https://vault\x00:8200",
		// Non-ASCII hosts IDNA refuses: the client would send the raw
		// bytes to the resolver.
		"http://a_b.ü:8200",
		"http://ü\u200d.example",
		"http://-ü.example",
		"http://\u0635a.example",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := NormalizeAddr(in)
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("NormalizeAddr(%q) = %q, %v; want an error wrapping ErrBadAddress", in, got, err)
			}
		})
	}
}

// TestSameServer: only spellings of one socket are one server
// (issue 20): localhost and 127.0.0.1 at most, never the rest of
// 127.0.0.0/8 or ::1, and never two names, whatever they resolve to.
func TestSameServer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want bool
	}{
		{"https://vault.example.com", "https://vault.example.com", true},
		{"https://vault.example.com", "HTTPS://Vault.Example.com:443/", true},
		{"http://localhost:8200", "http://127.0.0.1:8200", true},
		{"http://LOCALHOST:8200/", "http://127.0.0.1:8200", true},
		{"http://[::ffff:127.0.0.1]:8200", "http://localhost:8200", true},
		{"http://127.0.0.1:8200", "http://127.0.0.2:8200", false},
		{"http://localhost:8200", "http://127.0.0.2:8200", false},
		{"http://localhost:8200", "http://[::1]:8200", false},
		{"http://127.0.0.1:8200", "http://[::1]:8200", false},
		{"http://[::1]:8200", "http://[0:0::1]:8200", true},
		{"http://localhost:8200", "http://127.0.0.1:8201", false},
		{"http://localhost:8200", "https://127.0.0.1:8200", false},
		{"http://localhost:8200/a", "http://127.0.0.1:8200/b", false},
		{"http://localhost:8200/a", "http://127.0.0.1:8200/a/", true},
		{"http://localhost.example.com:8200", "http://127.0.0.1:8200", false},
		{"http://10.0.0.1:8200", "http://127.0.0.1:8200", false},
		{"https://vault-prod.example.com", "https://vault-dev.example.com", false},
		{"http://İ.example", "http://i.example", false},
		{"http://İ.example", "http://xn--i-9bb.example", true},
		{"unix:///run/a.sock", "unix:///run//a.sock", true},
		{"unix:///run/a.sock", "unix:///run/b.sock", false},
		{"", "https://127.0.0.1:8200", true},
		{"", "https://localhost:8200", true},
		{"not an address", " not an address ", true},
		{"not an address", "another", false},
		{"not an address", "https://127.0.0.1:8200", false},
	}
	for _, tt := range tests {
		for _, ab := range [][2]string{{tt.a, tt.b}, {tt.b, tt.a}} {
			if got := SameServer(ab[0], ab[1]); got != tt.want {
				t.Errorf("SameServer(%q, %q): got %v, want %v", ab[0], ab[1], got, tt.want)
			}
		}
	}
}

func TestKeyDirNameIsInjective(t *testing.T) {
	keys := []Key{
		{Addr: "https://a:443"},
		{Addr: "https://a:443", Namespace: "b"},
		{Addr: "https://a:443", Namespace: "b/c"},
		{Addr: "https://a:443/b", Namespace: "c"},
		{Addr: "https://a:443+ns=b"},
		{Addr: "https://a:443%2Bns=b"},
		{Addr: "http://a:443", Namespace: "b"},
	}
	seen := map[string]Key{}
	for _, k := range keys {
		name := dirName(k)
		if other, ok := seen[name]; ok {
			t.Errorf("keys %+v and %+v share directory %q", other, k, name)
		}
		seen[name] = k
	}
}

func TestNewKeyNamespace(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"team", "team"},
		{"team/", "team"},
		{"/team/sub/", "team/sub"},
		{" team ", "team"},
	}
	for _, tt := range tests {
		k, err := NewKey("http://127.0.0.1:8200", tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if k.Namespace != tt.want {
			t.Errorf("NewKey namespace %q: got %q, want %q", tt.in, k.Namespace, tt.want)
		}
	}
}

func FuzzNormalizeAddr(f *testing.F) {
	for _, s := range []string{"", "https://a", "http://A:80/", "unix:///x", "https://[::1]:1/p/", "a:b",
		"http://İ.example", "https://\u212a.example", "http://１２７.０.０.１:8200", "http://a_b.ü:8200",
		"http://[::ffff:127.0.0.1]:8200", "http://[0:0::1]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeAddr(in)
		// The front's Namer (no IDNA, no SHA-256) agrees, or leaves the
		// address to the full binary.
		front, frontErr := disk.Namer{}.NormalizeAddr(in)
		if !errors.Is(frontErr, disk.ErrNeedsNamer) && (front != got || (frontErr == nil) != (err == nil)) {
			t.Fatalf("NormalizeAddr(%q) = %q, %v; the front's = %q, %v", in, got, err, front, frontErr)
		}
		if err != nil {
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("NormalizeAddr(%q) error %v does not wrap ErrBadAddress", in, err)
			}
			return
		}
		again, err := NormalizeAddr(got)
		if err != nil {
			t.Fatalf("NormalizeAddr(%q) = %q, which does not normalize again: %v", in, got, err)
		}
		if again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, got, again)
		}
		k := Key{Addr: got}
		if name := dirName(k); name == "" || name == "." || name == ".." || containsSlash(name) {
			t.Fatalf("directory name %q for %q is not a single path element", name, got)
		}
	})
}

func containsSlash(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' || s[i] == 0 {
			return true
		}
	}
	return false
}

// The front's Namer (disk.Namer{}: no IDNA, no SHA-256) computes every
// key the full one computes, except the ones that need what it lacks,
// which it refuses with ErrNeedsNamer (the front then executes the full
// binary).
func TestFrontNamerAgreesOrDefers(t *testing.T) {
	t.Parallel()
	long := "https://vault.example:8200/" + strings.Repeat("p", 200)
	tests := []struct {
		addr, ns string
		defers   bool
	}{
		{"http://127.0.0.1:8200", "", false},
		{"HTTPS://Vault.Example.COM", "team/", false},
		{"http://[::ffff:127.0.0.1]:8200", "", false},
		{"unix:///run/vault.sock", "", false},
		{"https://Bücher.example", "", true},
		{"https://%C3%BC.example", "", true},
		{long, "", true},
		{"https://vault.example", strings.Repeat("n", 200), true},
	}
	for _, tt := range tests {
		want, err := NewKey(tt.addr, tt.ns)
		if err != nil {
			t.Fatal(err)
		}
		wantName := dirName(want)
		front := disk.Namer{}
		got, err := front.NewKey(tt.addr, tt.ns)
		var gotName string
		if err == nil {
			gotName, err = front.DirName(got)
		}
		switch {
		case tt.defers && !errors.Is(err, disk.ErrNeedsNamer):
			t.Errorf("front key of %q, %q: got %v, %q, %v; want ErrNeedsNamer", tt.addr, tt.ns, got, gotName, err)
		case !tt.defers && (err != nil || got != want || gotName != wantName):
			t.Errorf("front key of %q, %q: got %v, %q, %v; want %v, %q", tt.addr, tt.ns, got, gotName, err, want, wantName)
		}
	}
}
