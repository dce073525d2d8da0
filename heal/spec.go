package heal

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// ErrNothingToMint is returned when no policy can be named for the
// periodic token: no policies configured and the login token has none
// but default and root.
var ErrNothingToMint = errors.New("no policies to mint")

// Defaults used when the configuration names nothing.
const (
	DefaultDisplayName = "vault-token-helper"
	DefaultPeriod      = 768 * time.Hour
)

// Spec describes the periodic token for one address.
type Spec struct {
	DisplayName    string        // as configured; Vault shows "token-" + DisplayName
	Policies       []string      // empty: the login token's own, minus default and root
	Period         time.Duration // 0: DefaultPeriod
	RequiredPolicy string        // empty: the first policy other than default
}

// WithDefaults fills in what the configuration left out, except the
// policies, which come from the login token at mint time.
func (s Spec) WithDefaults() Spec {
	if s.DisplayName == "" {
		s.DisplayName = DefaultDisplayName
	}
	if s.Period == 0 {
		s.Period = DefaultPeriod
	}
	if s.RequiredPolicy == "" {
		s.RequiredPolicy = firstRequirable(s.Policies)
	}
	return s
}

// firstRequirable is the first policy that can tell our token apart:
// not default, which every token has.
func firstRequirable(policies []string) string {
	for _, p := range policies {
		if p != "default" && p != "root" {
			return p
		}
	}
	return ""
}

// VaultDisplayName is the display name Vault gives the token.
func (s Spec) VaultDisplayName() string { return "token-" + s.WithDefaults().DisplayName }

// Ours is the drift guard: a token is ours when its display name is
// token-<display_name>, it is periodic, and the required policy is among
// its policies. Without a configured required policy, any policy other
// than default and root will do.
func (s Spec) Ours(info TokenInfo) bool {
	s = s.WithDefaults()
	if info.DisplayName != s.VaultDisplayName() || info.Period <= 0 {
		return false
	}
	if s.RequiredPolicy != "" {
		return info.HasPolicy(s.RequiredPolicy)
	}
	return len(mintable(info.Policies)) > 0
}

// WhyNotOurs says in a few words why Ours is false.
func (s Spec) WhyNotOurs(info TokenInfo) string {
	s = s.WithDefaults()
	switch {
	case info.DisplayName != s.VaultDisplayName():
		return fmt.Sprintf("display name %q is not %q", info.DisplayName, s.VaultDisplayName())
	case info.Period <= 0:
		return "it is not periodic"
	case s.RequiredPolicy != "" && !info.HasPolicy(s.RequiredPolicy):
		return fmt.Sprintf("required policy %q is not among %v", s.RequiredPolicy, info.Policies)
	case s.RequiredPolicy == "" && len(mintable(info.Policies)) == 0:
		return "it has no policy but default"
	}
	return "it is ours"
}

// ForLogin resolves the spec for minting with the authority of a login
// token: policies default to the login token's own and its identity
// policies (those its entity's groups grant), minus default and root;
// the required policy to the first of them.
func (s Spec) ForLogin(login TokenInfo) (Spec, error) {
	s = s.WithDefaults()
	if len(s.Policies) == 0 {
		s.Policies = mintable(LoginPolicies(login))
		if len(s.Policies) == 0 {
			return s, fmt.Errorf("%w: the login token has only %v and no policies are configured (set periodic_token.policies in the config)", ErrNothingToMint, LoginPolicies(login))
		}
	}
	s.Policies = slices.DeleteFunc(slices.Clone(s.Policies), func(p string) bool { return p == "root" })
	if s.RequiredPolicy == "" {
		s.RequiredPolicy = firstRequirable(s.Policies)
	}
	return s, nil
}

// ForStored is the spec a stored token is checked against: this one, with
// the required policy recorded when the token was stored if the
// configuration names none (the default policies are the login's own).
func (s Spec) ForStored(cur *store.Token) Spec {
	if s.RequiredPolicy == "" && len(s.Policies) == 0 && cur != nil {
		s.RequiredPolicy = cur.RequiredPolicy
	}
	return s
}

// LoginPolicies are all the policies a token acts with: its own, then its
// identity policies, each once.
func LoginPolicies(info TokenInfo) []string {
	out := slices.Clone(info.Policies)
	for _, p := range info.IdentityPolicies {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// mintable drops default and root, which are never minted on purpose.
func mintable(policies []string) []string {
	var out []string
	for _, p := range policies {
		if p != "default" && p != "root" {
			out = append(out, p)
		}
	}
	return out
}

// Matches reports whether a valid token of ours still matches this
// spec, so that a login keeps it instead of minting (KEPT): the drift
// guard, the configured period, and exactly the configured policies. A
// token holding a policy the configuration no longer names does not
// match (a config change that takes a right away takes it away at the
// next admin login), nor one missing a configured policy. "default" is
// never counted as extra: Vault adds it to every token minted without
// no_default_policy, which is how this tool mints. With no policies
// configured (the login's own are minted), the policies are not
// compared; a configured "root" is not compared either, as it is never
// minted. It says why not in a few words.
func (s Spec) Matches(info TokenInfo) (bool, string) {
	s = s.WithDefaults()
	if !s.Ours(info) {
		return false, s.WhyNotOurs(info)
	}
	if info.Period != s.Period {
		return false, fmt.Sprintf("its period %s is not the configured %s", info.Period, s.Period)
	}
	// What a mint would ask for: root is never minted (ForLogin).
	want := slices.DeleteFunc(slices.Clone(s.Policies), func(p string) bool { return p == "root" })
	if len(want) == 0 {
		return true, "it matches"
	}
	for _, p := range want {
		if !info.HasPolicy(p) {
			return false, fmt.Sprintf("policy %q is configured but not among %v", p, info.Policies)
		}
	}
	for _, p := range info.Policies {
		if p != "default" && !slices.Contains(want, p) {
			return false, fmt.Sprintf("it holds policy %q, which the configuration does not name (%v)", p, want)
		}
	}
	return true, "it matches"
}

// RecordedSpec is the guard recorded with a stored token: its display
// name, period and required policy as they were when it was stored. It
// is what renew, status and erase check a token against when the
// configuration cannot be read.
func RecordedSpec(cur *store.Token) Spec {
	if cur == nil {
		return Spec{}
	}
	return Spec{
		DisplayName:    strings.TrimPrefix(cur.DisplayName, "token-"),
		Period:         time.Duration(cur.Period),
		RequiredPolicy: cur.RequiredPolicy,
	}
}

// guarded is the spec a login mints with: with no policies configured,
// the policies recorded with the stored periodic token (minus default),
// so that a login holding less never mints a weaker token in its place
// (the downgrade guard); a login that cannot reproduce them is refused.
func (s Spec) guarded(cur *store.Token) Spec {
	if len(s.Policies) > 0 || cur == nil || !cur.Source.Periodic() {
		return s
	}
	if rec := mintable(cur.Policies); len(rec) > 0 {
		s.Policies = rec
		if s.RequiredPolicy == "" {
			s.RequiredPolicy = cur.RequiredPolicy
		}
	}
	return s
}
