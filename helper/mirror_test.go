package helper

import (
	"testing"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// TestMirrorKeyEitherSpelling: mirror_address matches a stored address
// under either spelling of one server (localhost and 127.0.0.1), and only
// that.
func TestMirrorKeyEitherSpelling(t *testing.T) {
	t.Parallel()
	loopback := store.Key{Addr: "http://127.0.0.1:8200"}
	tests := []struct {
		name, mirror string
		stored       store.Key
		want         store.Key
	}{
		{"same spelling", "http://127.0.0.1:8200", loopback, loopback},
		{"localhost names 127.0.0.1", "http://localhost:8200", loopback, loopback},
		{"127.0.0.1 names localhost", "http://127.0.0.1:8200", store.Key{Addr: "http://localhost:8200"}, store.Key{Addr: "http://localhost:8200"}},
		{"another port is another server", "http://localhost:8201", loopback, store.Key{Addr: "http://localhost:8201"}},
		{"another scheme is another server", "https://localhost:8200", loopback, store.Key{Addr: "https://localhost:8200"}},
		{"another host", "http://vault.example.com:8200", loopback, store.Key{Addr: "http://vault.example.com:8200"}},
		// Only spellings of one socket are one server (issue 20): ::1 and
		// the rest of 127.0.0.0/8 are other Vaults (SSH tunnels,
		// port-forwards).
		{"::1 is another server", "http://[::1]:8200", loopback, store.Key{Addr: "http://[::1]:8200"}},
		{"127.0.0.2 is another server", "http://127.0.0.2:8200", loopback, store.Key{Addr: "http://127.0.0.2:8200"}},
		// Two Vaults behind one ingress share IP addresses: only the exact
		// name matches (the security review's finding).
		{"a host sharing IPs is another server", "https://vault-prod.example.com", store.Key{Addr: "https://vault-dev.example.com"}, store.Key{Addr: "https://vault-prod.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.MirrorAddress = tt.mirror
			states := []store.State{{Address: tt.stored.Addr, Current: &store.Token{Token: "t"}}}
			if got := mirrorKey(cfg, states, store.Key{}); got != tt.want {
				t.Errorf("mirrorKey: got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestMirrorKeyNeverPicksByOrder: with several stored spellings that match
// mirror_address, the exact one wins; with none exact, none is mirrored,
// whatever the order of the store's directory.
func TestMirrorKeyNeverPicksByOrder(t *testing.T) {
	t.Parallel()
	st := func(addr string) store.State { return store.State{Address: addr, Current: &store.Token{Token: "t"}} }
	// c is a third spelling of the socket of a and b: the config parser
	// normalizes mirror_address, so with SameServer's two spellings this
	// cannot arise from a file; the rule still holds.
	a, b, c := "http://127.0.0.1:8200", "http://localhost:8200", "http://LocalHost:8200/"
	tests := []struct {
		name, mirror string
		stored       []string
		want         store.Key
		ambiguous    bool
	}{
		{"exact wins", a, []string{b, a}, store.Key{Addr: a}, false},
		{"exact wins in either order", a, []string{a, b}, store.Key{Addr: a}, false},
		{"two aliases, none exact", c, []string{a, b}, store.Key{}, true},
		{"two aliases, other order", c, []string{b, a}, store.Key{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.MirrorAddress = tt.mirror
			var states []store.State
			for _, addr := range tt.stored {
				states = append(states, st(addr))
			}
			if got := mirrorKey(cfg, states, store.Key{}); got != tt.want {
				t.Errorf("mirrorKey: got %v, want %v", got, tt.want)
			}
			if got := len(mirrorAmbiguous(cfg, states)) > 0; got != tt.ambiguous {
				t.Errorf("mirrorAmbiguous: got %v, want %v", got, tt.ambiguous)
			}
		})
	}
}
