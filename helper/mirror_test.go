package helper

import (
	"context"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// TestMirrorKeyEitherSpelling: mirror_address matches a stored address
// under either spelling of one server (localhost and 127.0.0.1), and only
// that.
func TestMirrorKeyEitherSpelling(t *testing.T) {
	t.Parallel()
	env := Env{LookupHost: func(_ context.Context, host string) ([]string, error) {
		if host == "localhost" {
			return []string{"127.0.0.1", "::1"}, nil
		}
		return []string{"192.0.2.7"}, nil
	}}
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := DefaultConfig()
			cfg.MirrorAddress = tt.mirror
			states := []store.State{{Address: tt.stored.Addr, Current: &store.Token{Token: "t"}}}
			if got := mirrorKey(cfg, states, store.Key{}, env.sameVault); got != tt.want {
				t.Errorf("mirrorKey: got %v, want %v", got, tt.want)
			}
		})
	}
}
