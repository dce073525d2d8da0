package helper

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/adrg/xdg"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// TestPathsFromEnvAgreesWithXDG holds PathsFromEnv to adrg/xdg, which the
// front binary's get uses: both must name the same token store.
func TestPathsFromEnvAgreesWithXDG(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"defaults", nil},
		{"absolute", map[string]string{"XDG_DATA_HOME": "/x/data", "XDG_STATE_HOME": "/x/state", "XDG_CONFIG_HOME": "/x/config"}},
		{"relative is ignored", map[string]string{"XDG_DATA_HOME": "rel/data", "XDG_CONFIG_HOME": "rel"}},
		{"tilde", map[string]string{"XDG_DATA_HOME": "~/d", "XDG_STATE_HOME": "$HOME/s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"HOME": home, "XDG_DATA_HOME": "", "XDG_STATE_HOME": "", "XDG_CONFIG_HOME": ""}
			for k, v := range tt.env {
				env[k] = v
			}
			for k, v := range env {
				t.Setenv(k, v)
			}
			xdg.Reload()
			t.Cleanup(xdg.Reload)
			got := PathsFromEnv(func(k string) string { return env[k] })
			want := map[string]string{
				"Data":   filepath.Join(xdg.DataHome, "vault-token-helper"),
				"State":  filepath.Join(xdg.StateHome, "vault-token-helper"),
				"Config": filepath.Join(xdg.ConfigHome, "vault-token-helper", "config.hcl"),
				"Home":   xdg.Home,
			}
			for name, g := range map[string]string{"Data": got.Data, "State": got.State, "Config": got.Config, "Home": got.Home} {
				if g != want[name] {
					t.Errorf("%s: got %q, want %q (adrg/xdg)", name, g, want[name])
				}
			}
		})
	}
}

func TestLockWait(t *testing.T) {
	t.Parallel()
	tests := []struct {
		value   string
		want    time.Duration
		wantErr bool
	}{
		{"", store.DefaultLockWait, false},
		{"250ms", 250 * time.Millisecond, false},
		{"0s", 0, true},
		{"-1s", 0, true},
		{"soon", 0, true},
	}
	for _, tt := range tests {
		env := Env{Getenv: func(k string) string {
			if k == LockWaitEnv {
				return tt.value
			}
			return ""
		}}
		got, err := env.lockWait()
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("lockWait(%q) = %v, %v; want %v, error %v", tt.value, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestOperationBound(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		timeout string
		want    time.Duration
	}{
		{"", 2 * (10*time.Second + 10*time.Second)},
		{"2s", 2 * (10*time.Second + 2*time.Second)},
		{"2", 2 * (10*time.Second + 2*time.Second)},
		{"garbage", DefaultOperationBound},
	} {
		env := Env{Getenv: func(k string) string {
			if k == "VAULT_CLIENT_TIMEOUT" {
				return tt.timeout
			}
			return ""
		}}
		if got := env.operationBound(); got != tt.want {
			t.Errorf("VAULT_CLIENT_TIMEOUT=%q: got %s, want %s", tt.timeout, got, tt.want)
		}
		// renew: the unattended budget, 60s instead of 10s per call
		if got, want := env.renewBound(), tt.want+2*50*time.Second; got != want {
			t.Errorf("VAULT_CLIENT_TIMEOUT=%q: renew bound %s, want %s", tt.timeout, got, want)
		}
	}
}
