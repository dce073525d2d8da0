package store

import (
	"errors"
	"testing"
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
	} {
		t.Run(in, func(t *testing.T) {
			got, err := NormalizeAddr(in)
			if !errors.Is(err, ErrBadAddress) {
				t.Fatalf("NormalizeAddr(%q) = %q, %v; want an error wrapping ErrBadAddress", in, got, err)
			}
		})
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
		name := k.dirName()
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
	for _, s := range []string{"", "https://a", "http://A:80/", "unix:///x", "https://[::1]:1/p/", "a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeAddr(in)
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
		if name := k.dirName(); name == "" || name == "." || name == ".." || containsSlash(name) {
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
