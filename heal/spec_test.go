package heal

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSpecOurs(t *testing.T) {
	configured := Spec{DisplayName: "devvm-wizard", Policies: []string{"vault-admin", "sops-admin"}, Period: 768 * time.Hour, RequiredPolicy: "vault-admin"}
	ours := TokenInfo{DisplayName: "token-devvm-wizard", Policies: []string{"default", "sops-admin", "vault-admin"}, Period: 768 * time.Hour}
	tests := []struct {
		name string
		spec Spec
		info TokenInfo
		want bool
		why  string
	}{
		{"ours", configured, ours, true, "it is ours"},
		{"other period still ours", configured, with(ours, func(i *TokenInfo) { i.Period = time.Hour }), true, "it is ours"},
		{"not periodic", configured, with(ours, func(i *TokenInfo) { i.Period = 0 }), false, "not periodic"},
		{"other display name", configured, with(ours, func(i *TokenInfo) { i.DisplayName = "oidc-jane" }), false, "display name"},
		{"display name without token- prefix", configured, with(ours, func(i *TokenInfo) { i.DisplayName = "devvm-wizard" }), false, "display name"},
		{"missing required policy", configured, with(ours, func(i *TokenInfo) { i.Policies = []string{"default", "sops-admin"} }), false, "required policy"},
		{"root token", configured, TokenInfo{DisplayName: "root", Policies: []string{"root"}}, false, "display name"},
		{"defaults: ours", Spec{}, TokenInfo{DisplayName: "token-vault-token-helper", Policies: []string{"default", "vault-admin"}, Period: time.Hour}, true, "it is ours"},
		{"defaults: only default policy", Spec{}, TokenInfo{DisplayName: "token-vault-token-helper", Policies: []string{"default"}, Period: time.Hour}, false, "no policy but default"},
		{"defaults: hand-made with other name", Spec{}, ours, false, "display name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.spec.Ours(tt.info); got != tt.want {
				t.Errorf("Ours = %v, want %v", got, tt.want)
			}
			if got := tt.spec.WhyNotOurs(tt.info); !strings.Contains(got, tt.why) {
				t.Errorf("WhyNotOurs = %q, want it to mention %q", got, tt.why)
			}
		})
	}
}

func with(i TokenInfo, f func(*TokenInfo)) TokenInfo {
	i.Policies = slices.Clone(i.Policies)
	f(&i)
	return i
}

func TestSpecForLogin(t *testing.T) {
	tests := []struct {
		name         string
		spec         Spec
		login        []string
		identity     []string // the login's identity_policies
		wantPolicies []string
		wantRequired string
		wantErr      error
	}{
		{"configured policies win", Spec{Policies: []string{"a", "b"}}, []string{"default", "x"}, []string{"y"}, []string{"a", "b"}, "a", nil},
		{"configured required policy kept", Spec{Policies: []string{"a", "b"}, RequiredPolicy: "b"}, []string{"x"}, nil, []string{"a", "b"}, "b", nil},
		{"derived from login minus default", Spec{}, []string{"default", "vault-admin", "sops-admin"}, nil, []string{"vault-admin", "sops-admin"}, "vault-admin", nil},
		{"root is never minted", Spec{}, []string{"root", "vault-admin"}, nil, []string{"vault-admin"}, "vault-admin", nil},
		{"only root: nothing to mint", Spec{}, []string{"root"}, nil, nil, "", ErrNothingToMint},
		{"only default: nothing to mint", Spec{}, []string{"default"}, nil, nil, "", ErrNothingToMint},
		{"identity policies only (an OIDC group)", Spec{}, []string{"default"}, []string{"vault-admin"}, []string{"vault-admin"}, "vault-admin", nil},
		{"own policies first, then identity ones, each once", Spec{}, []string{"default", "sops-admin"}, []string{"vault-admin", "sops-admin", "default", "root"},
			[]string{"sops-admin", "vault-admin"}, "sops-admin", nil},
		{"identity default only: nothing to mint", Spec{}, []string{"default"}, []string{"default"}, nil, "", ErrNothingToMint},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.spec.ForLogin(TokenInfo{Policies: tt.login, IdentityPolicies: tt.identity})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ForLogin error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if !slices.Equal(got.Policies, tt.wantPolicies) || got.RequiredPolicy != tt.wantRequired {
				t.Errorf("ForLogin = policies %v required %q; want %v, %q", got.Policies, got.RequiredPolicy, tt.wantPolicies, tt.wantRequired)
			}
			if got.DisplayName != DefaultDisplayName && tt.spec.DisplayName == "" {
				t.Errorf("display name = %q, want the default", got.DisplayName)
			}
			if got.Period != DefaultPeriod {
				t.Errorf("period = %s, want %s", got.Period, DefaultPeriod)
			}
		})
	}
}

func TestOtherAddress(t *testing.T) {
	tests := []struct {
		meta map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"created_by": "vault-token-helper", "address": "http://a:1"}, false},
		{map[string]string{"created_by": "vault-token-helper", "address": "http://localhost:1"}, true},
		{map[string]string{"created_by": "vault-token-helper"}, false},
		{map[string]string{"address": "http://localhost:1"}, false},
	}
	for _, tt := range tests {
		if got := otherAddress(tt.meta, "http://a:1"); got != tt.want {
			t.Errorf("otherAddress(%v) = %v, want %v", tt.meta, got, tt.want)
		}
	}
}

func TestRevocableLogin(t *testing.T) {
	tests := []struct {
		info TokenInfo
		want bool
	}{
		{TokenInfo{Path: "auth/userpass/login/admin", Policies: []string{"default", "vault-admin"}}, true},
		{TokenInfo{Path: "auth/oidc/oidc/callback", Policies: []string{"vault-admin"}}, true},
		{TokenInfo{Path: "auth/token/root", Policies: []string{"root"}}, false},
		{TokenInfo{Path: "auth/token/create", Policies: []string{"vault-admin"}}, false},
		{TokenInfo{Path: "auth/userpass/login/x", Policies: []string{"root"}}, false},
		{TokenInfo{Path: ""}, false},
	}
	for _, tt := range tests {
		if got := revocableLogin(tt.info); got != tt.want {
			t.Errorf("revocableLogin(%+v) = %v, want %v", tt.info, got, tt.want)
		}
	}
}

func TestForeignMeta(t *testing.T) {
	const ours, theirs = "0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"
	ourMeta := func(kv ...string) map[string]string {
		m := map[string]string{"created_by": "vault-token-helper", "host": "h", "user": "u"}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name      string
		meta      map[string]string
		installID string // this installation's; "" when it has none
		want      bool
	}{
		{"hand-made token, no meta", nil, ours, false},
		{"ours, same host and user, minted before install ids", ourMeta(), ours, false},
		{"another host, before install ids", ourMeta("host", "other"), ours, true},
		{"another user, before install ids", ourMeta("user", "bob"), ours, true},
		{"meta from another tool", map[string]string{"host": "other"}, ours, false},
		{"this installation's id", ourMeta("install_id", ours), ours, false},
		{"another installation, same host and user", ourMeta("install_id", theirs), ours, true},
		{"this installation's id, host renamed since", ourMeta("install_id", ours, "host", "renamed"), ours, false},
		{"an id, and this installation has none", ourMeta("install_id", theirs), "", true},
		{"an empty id is no id", ourMeta("install_id", ""), ours, false},
	}
	for _, tt := range tests {
		h := &Healer{Host: "h", User: "u", InstallID: tt.installID}
		if got := h.foreignMeta(tt.meta); got != tt.want {
			t.Errorf("%s: foreignMeta = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestSpecMatches: a kept token must hold exactly the configured
// policies (Vault's "default" aside), so that a config change that takes
// a right away rotates at the next admin login.
func TestSpecMatches(t *testing.T) {
	t.Parallel()
	const period = 768 * time.Hour
	spec := func(policies ...string) Spec {
		return Spec{DisplayName: "devvm-wizard", Policies: policies, Period: period, RequiredPolicy: "vault-admin"}
	}
	token := func(policies ...string) TokenInfo {
		return TokenInfo{DisplayName: "token-devvm-wizard", Policies: policies, Period: period}
	}
	tests := []struct {
		name string
		spec Spec
		info TokenInfo
		want bool
		why  string
	}{
		{"exactly the configured policies, and default", spec("vault-admin", "sops-admin"), token("default", "sops-admin", "vault-admin"), true, "it matches"},
		{"no default policy on the token (hand-made, adopted)", spec("vault-admin", "sops-admin"), token("sops-admin", "vault-admin"), true, "it matches"},
		{"default configured, and the token has it", spec("vault-admin", "default"), token("default", "vault-admin"), true, "it matches"},
		{"a policy dropped from the config", spec("vault-admin"), token("default", "sops-admin", "vault-admin"), false, `holds policy "sops-admin"`},
		{"a policy added to the config", spec("vault-admin", "sops-admin", "read-only"), token("default", "sops-admin", "vault-admin"), false, `policy "read-only" is configured`},
		{"one policy swapped for another", spec("vault-admin", "read-only"), token("default", "sops-admin", "vault-admin"), false, "policy"},
		{"default configured, the token lacks it", spec("vault-admin", "default"), token("vault-admin"), false, `policy "default" is configured`},
		{"root on the token is extra", spec("vault-admin"), token("default", "root", "vault-admin"), false, `holds policy "root"`},
		{"root in the config is never minted, so never missing", spec("vault-admin", "root"), token("default", "vault-admin"), true, "it matches"},
		{"no policies configured: the login's own, not compared", Spec{DisplayName: "devvm-wizard", Period: period, RequiredPolicy: "vault-admin"},
			token("default", "sops-admin", "vault-admin"), true, "it matches"},
		{"another period", spec("vault-admin", "sops-admin"), with(token("default", "sops-admin", "vault-admin"), func(i *TokenInfo) { i.Period = time.Hour }), false, "period"},
		{"not ours", spec("vault-admin", "sops-admin"), with(token("default", "sops-admin", "vault-admin"), func(i *TokenInfo) { i.DisplayName = "token-other" }), false, "display name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, why := tt.spec.Matches(tt.info)
			if got != tt.want {
				t.Errorf("Matches = %v (%s), want %v", got, why, tt.want)
			}
			if !strings.Contains(why, tt.why) {
				t.Errorf("Matches says %q, want it to mention %q", why, tt.why)
			}
		})
	}
}
