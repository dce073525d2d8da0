package helper

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
)

const fullConfig = `
periodic_token {
  display_name    = "devvm-wizard"          # Vault shows it as token-devvm-wizard
  policies        = ["vault-admin", "sops-admin"]
  period          = "768h"
  required_policy = "vault-admin"           # the drift guard
}
revoke_login_token = false
rotate_on_login    = true
rotate_grace       = "30m"
mirror             = true
mirror_address     = "https://Vault.example.com"

address "https://vault.example.com:8200" {
  periodic_token { policies = ["vault-admin"] }
  revoke_login_token = true
}
`

func TestParseConfigFull(t *testing.T) {
	cfg, err := ParseConfig([]byte(fullConfig), "config.hcl")
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	want := heal.Spec{DisplayName: "devvm-wizard", Policies: []string{"vault-admin", "sops-admin"}, Period: 768 * time.Hour, RequiredPolicy: "vault-admin"}
	if !specEqual(cfg.Periodic, want) {
		t.Errorf("periodic_token = %+v, want %+v", cfg.Periodic, want)
	}
	if !cfg.RotateOnLogin || cfg.RotateGrace != 30*time.Minute {
		t.Errorf("rotate_on_login, rotate_grace = %v, %s; want true, 30m", cfg.RotateOnLogin, cfg.RotateGrace)
	}
	if cfg.MirrorAddress != "https://vault.example.com:443" {
		t.Errorf("mirror_address = %q, want the normalized address", cfg.MirrorAddress)
	}

	spec, revoke := cfg.For("https://vault.example.com:8200")
	wantOverride := heal.Spec{DisplayName: "devvm-wizard", Policies: []string{"vault-admin"}, Period: 768 * time.Hour, RequiredPolicy: "vault-admin"}
	if !specEqual(spec, wantOverride) || !revoke {
		t.Errorf("For(override) = %+v, %v; want %+v, true", spec, revoke, wantOverride)
	}
	spec, revoke = cfg.For("https://other.example.com:8200")
	if !specEqual(spec, want) || revoke {
		t.Errorf("For(other) = %+v, %v; want the global spec, false", spec, revoke)
	}
}

func specEqual(a, b heal.Spec) bool {
	return a.DisplayName == b.DisplayName && slices.Equal(a.Policies, b.Policies) && a.Period == b.Period && a.RequiredPolicy == b.RequiredPolicy
}

func TestParseConfigDefaults(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "periodic_token {}\n"} {
		cfg, err := ParseConfig([]byte(src), "c.hcl")
		if err != nil {
			t.Fatalf("ParseConfig(%q): %v", src, err)
		}
		spec, revoke := cfg.For("https://127.0.0.1:8200")
		want := heal.Spec{DisplayName: "vault-token-helper", Period: 768 * time.Hour}
		if cfg.RotateOnLogin || cfg.RotateGrace != DefaultRotateGrace {
			t.Errorf("defaults from %q: rotate_on_login, rotate_grace = %v, %s; want false, %s", src, cfg.RotateOnLogin, cfg.RotateGrace, DefaultRotateGrace)
		}
		if !specEqual(spec, want) || revoke || !cfg.Mirror {
			t.Errorf("defaults from %q = %+v revoke=%v mirror=%v; want %+v, false, true", src, spec, revoke, cfg.Mirror, want)
		}
	}
}

func TestParseConfigRequiredPolicyDefaultsToFirst(t *testing.T) {
	for src, want := range map[string]string{
		`periodic_token { policies = ["a", "b"] }`:       "a",
		`periodic_token { policies = ["default", "b"] }`: "b",
	} {
		cfg, err := ParseConfig([]byte(src), "c.hcl")
		if err != nil {
			t.Fatal(err)
		}
		if spec, _ := cfg.For("x"); spec.RequiredPolicy != want {
			t.Errorf("%s: required_policy = %q, want %q", src, spec.RequiredPolicy, want)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // substrings: the key and the line
	}{
		{"unknown top-level key", "periodic_token {}\nfoo = 1\n", []string{"line 2", "foo", "unknown key"}},
		{"unknown key in block", "periodic_token {\n  display_name = \"a\"\n  colour = \"red\"\n}\n", []string{"line 3", "periodic_token.colour", "unknown key"}},
		{"period not a duration", "periodic_token {\n period = \"768\"\n}", []string{"line 2", "periodic_token.period", "not a duration"}},
		{"period garbage", "periodic_token {\n period = \"soon\"\n}", []string{"line 2", "period"}},
		{"period as number", "periodic_token {\n period = 768\n}", []string{"line 2", "period", "quoted string"}},
		{"empty policy list", "periodic_token {\n policies = []\n}", []string{"line 2", "policies", "empty"}},
		{"policies not a list", "periodic_token {\n policies = \"vault-admin\"\n}", []string{"line 2", "policies", "list of strings"}},
		{"policy of wrong type", "periodic_token {\n policies = [1]\n}", []string{"line 2", "policies"}},
		{"root policy", "periodic_token {\n policies = [\"root\"]\n}", []string{"line 2", "root is never minted"}},
		{"upper-case policy", "periodic_token {\n policies = [\"Vault-Admin\"]\n}", []string{"line 2", "lower case", "vault-admin"}},
		{"upper-case required policy", "periodic_token {\n required_policy = \"Vault-Admin\"\n}", []string{"line 2", "lower case"}},
		{"only default", "periodic_token {\n policies = [\"default\"]\n}", []string{"line 2", "only default"}},
		{"required policy not in list", "periodic_token {\n policies = [\"a\"]\n required_policy = \"b\"\n}", []string{"required_policy", "not among"}},
		{"required policy default", "periodic_token {\n required_policy = \"default\"\n}", []string{"line 2", "required_policy"}},
		{"bad display name", "periodic_token {\n display_name = \"dev vm\"\n}", []string{"line 2", "display_name"}},
		{"bool as string", "revoke_login_token = \"yes\"\n", []string{"line 1", "revoke_login_token", "true or false"}},
		{"mirror as number", "\nmirror = 1\n", []string{"line 2", "mirror"}},
		{"rotate_grace not a duration", "rotate_grace = \"an hour\"\n", []string{"line 1", "rotate_grace", "duration"}},
		{"rotate_grace negative", "rotate_grace = \"-1h\"\n", []string{"line 1", "rotate_grace"}},
		{"rotate_on_login as string", "rotate_on_login = \"yes\"\n", []string{"line 1", "rotate_on_login", "true or false"}},
		{"bad mirror address", "mirror_address = \"vault:8200\"\n", []string{"line 1", "mirror_address"}},
		{"address without label", "address {\n}\n", []string{"line 1", "address", "label"}},
		{"bad address label", "address \"ftp://x\" {\n}\n", []string{"line 1", "address"}},
		{"duplicate address", "address \"https://a\" {}\naddress \"https://A:443/\" {}\n", []string{"line 2", "twice"}},
		{"unknown key in address", "address \"https://a\" {\n  mirror = true\n}\n", []string{"line 2", "mirror", "unknown key"}},
		{"duplicate block", "periodic_token {}\nperiodic_token {}\n", []string{"line 2", "twice"}},
		{"syntax error", "periodic_token {\n", []string{"config.hcl"}},
		{"not UTF-8", "mirror = true # \xff\n", []string{"UTF-8"}},
		{"block as value", "periodic_token = \"x\"\n", []string{"line 1", "periodic_token", "block"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.src), "config.hcl")
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("ParseConfig = %+v, %v; want an error wrapping ErrConfig", cfg, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "nope.hcl")
	cfg, err := LoadConfig(missing)
	if err != nil || cfg.Path != "" || !cfg.Mirror {
		t.Fatalf("LoadConfig(missing) = %+v, %v; want the defaults", cfg, err)
	}
	unreadable := filepath.Join(dir, "dir.hcl")
	if err := os.Mkdir(unreadable, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(unreadable); !errors.Is(err, ErrConfig) {
		t.Fatalf("LoadConfig(directory) = %v, want ErrConfig", err)
	}
	big := filepath.Join(dir, "big.hcl")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", maxConfigSize+1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(big); !errors.Is(err, ErrConfig) {
		t.Fatalf("LoadConfig(too big) = %v, want ErrConfig", err)
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(fullConfig))
	f.Add([]byte("periodic_token { period = \"1h\" }"))
	f.Add([]byte("address \"https://a\" { periodic_token { policies = [\"x\"] } }"))
	f.Add([]byte("mirror = false\nmirror_address = \"http://127.0.0.1:8200\""))
	f.Fuzz(func(t *testing.T, src []byte) {
		cfg, err := ParseConfig(src, "fuzz.hcl")
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
			return
		}
		spec, _ := cfg.For("https://127.0.0.1:8200")
		if spec.DisplayName == "" || spec.Period <= 0 {
			t.Fatalf("valid config gives an unusable spec %+v", spec)
		}
		if slices.Contains(spec.Policies, "root") {
			t.Fatalf("config lets root be minted: %+v", spec)
		}
		if spec.RequiredPolicy != "" && len(spec.Policies) > 0 && !slices.Contains(spec.Policies, spec.RequiredPolicy) {
			t.Fatalf("required policy %q not among %v", spec.RequiredPolicy, spec.Policies)
		}
	})
}
