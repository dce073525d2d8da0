package fakevault

// heal.Vault's calls, answered by the rules of Vault's token store.

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
)

// Addr is the address the fake stands for.
func (v *Vault) Addr() string { return v.addr }

// LookupSelf: the default policy lets a token look itself up.
func (v *Vault) LookupSelf(ctx context.Context, token string) (heal.TokenInfo, error) {
	var info heal.TokenInfo
	err := v.call(ctx, heal.OpLookupSelf, http.MethodGet, func() (int, string) {
		e, status, msg := v.caller(token, func(c *entry) bool { return v.may(c, "auth/token/lookup-self", "read") })
		if e == nil {
			return status, msg
		}
		info = v.info(e)
		return 0, ""
	})
	return info, err
}

// LookupAccessor needs update on auth/token/lookup-accessor.
func (v *Vault) LookupAccessor(ctx context.Context, token, accessor string) (heal.TokenInfo, error) {
	var info heal.TokenInfo
	err := v.call(ctx, heal.OpLookupAccessor, http.MethodPost, func() (int, string) {
		e, status, msg := v.caller(token, func(c *entry) bool { return v.mayWrite(c, pathLookupAccessor) })
		if e == nil {
			return status, msg
		}
		t := v.byAcc[accessor]
		if t == nil || v.live(t.id) == nil {
			return http.StatusBadRequest, "invalid accessor"
		}
		info = v.info(t)
		return 0, ""
	})
	return info, err
}

// displayNameSanitize is Vault's.
var displayNameSanitize = regexp.MustCompile("[^a-zA-Z0-9-]")

// CreateOrphan follows Vault's handleCreateCommon for create-orphan.
func (v *Vault) CreateOrphan(ctx context.Context, token string, r heal.MintRequest) (heal.Minted, error) {
	var m heal.Minted
	err := v.call(ctx, heal.OpCreateOrphan, http.MethodPost, func() (int, string) {
		parent, status, msg := v.caller(token, func(c *entry) bool { return v.mayWrite(c, pathCreateOrphan) })
		if parent == nil {
			return status, msg
		}
		if parent.batch {
			return http.StatusBadRequest, "batch tokens cannot create more tokens"
		}
		sudo := v.may(parent, pathCreateOrphan, "sudo")
		policies := r.Policies
		switch {
		case len(policies) == 0:
			policies = sanitize(parent.policies, false)
		case !sudo:
			if !subset(sanitize(parent.policies, false), sanitize(policies, false)) {
				return http.StatusBadRequest, "child policies must be subset of parent"
			}
			policies = sanitize(policies, slices.Contains(parent.policies, "default"))
		default:
			policies = sanitize(policies, true)
		}
		if slices.Contains(policies, "root") && !slices.Contains(parent.policies, "root") {
			return http.StatusBadRequest, "root tokens may not be created without parent token being root"
		}
		if r.Period > 0 && !sudo {
			return http.StatusBadRequest, "root or sudo privileges required to create periodic token"
		}
		e := &entry{path: "auth/token/create-orphan", displayName: "token", policies: policies,
			period: r.Period, renewable: true, meta: cloneMeta(r.Meta)}
		if r.DisplayName != "" {
			e.displayName = strings.TrimSuffix(displayNameSanitize.ReplaceAllString("token-"+r.DisplayName, "-"), "-")
		}
		if r.Period > 0 {
			e.expire, e.maxTTL = v.now().Add(r.Period), r.Period
		} else if !slices.Contains(policies, "root") {
			e.expire, e.maxTTL = v.now().Add(768*time.Hour), 768*time.Hour // the system max TTL
		}
		v.add(e)
		m = heal.Minted{Token: e.id, Accessor: e.accessor}
		return 0, ""
	})
	if err != nil {
		return heal.Minted{}, err
	}
	return m, nil
}

// RenewSelf: a periodic token is renewed to its period; another one by
// the increment, never past its max TTL.
func (v *Vault) RenewSelf(ctx context.Context, token string, increment time.Duration) (time.Duration, error) {
	var ttl time.Duration
	err := v.call(ctx, heal.OpRenewSelf, http.MethodPost, func() (int, string) {
		e, status, msg := v.caller(token, func(c *entry) bool { return v.mayWrite(c, "auth/token/renew-self") })
		if e == nil {
			return status, msg
		}
		if !e.renewable {
			return http.StatusBadRequest, "lease is not renewable"
		}
		ttl = e.period
		if ttl == 0 {
			ttl = min(increment, e.maxTTL)
			if increment <= 0 {
				ttl = e.maxTTL
			}
		}
		e.expire = v.now().Add(ttl)
		return 0, ""
	})
	return ttl, err
}

// RevokeSelf: the default policy lets a token revoke itself.
func (v *Vault) RevokeSelf(ctx context.Context, token string) error {
	return v.call(ctx, heal.OpRevokeSelf, http.MethodPost, func() (int, string) {
		e, status, msg := v.caller(token, func(c *entry) bool { return v.mayWrite(c, "auth/token/revoke-self") })
		if e == nil {
			return status, msg
		}
		v.revoke(e)
		return 0, ""
	})
}

// RevokeAccessor needs update on auth/token/revoke-accessor; an unknown
// accessor is not an error (Vault answers with a warning).
func (v *Vault) RevokeAccessor(ctx context.Context, token, accessor string) error {
	return v.call(ctx, heal.OpRevokeAccessor, http.MethodPost, func() (int, string) {
		e, status, msg := v.caller(token, func(c *entry) bool { return v.mayWrite(c, pathRevokeAccessor) })
		if e == nil {
			return status, msg
		}
		if t := v.byAcc[accessor]; t != nil {
			v.revoke(t)
		}
		return 0, ""
	})
}

// ListAccessors needs list and sudo on auth/token/accessors.
func (v *Vault) ListAccessors(ctx context.Context, token string) ([]string, error) {
	var out []string
	err := v.call(ctx, heal.OpListAccessors, "LIST", func() (int, string) {
		e, status, msg := v.caller(token, func(c *entry) bool { return v.may(c, pathAccessors, "list", "sudo") })
		if e == nil {
			return status, msg
		}
		out = v.accessors()
		return 0, ""
	})
	return out, err
}

// CanMint is sys/capabilities-self on auth/token/create-orphan.
func (v *Vault) CanMint(ctx context.Context, token string) (bool, error) {
	var can bool
	err := v.call(ctx, heal.OpCapabilities, http.MethodPost, func() (int, string) {
		e, status, msg := v.caller(token, func(c *entry) bool { return v.mayWrite(c, "sys/capabilities-self") })
		if e == nil {
			return status, msg
		}
		can = v.mayWrite(e, pathCreateOrphan) && v.may(e, pathCreateOrphan, "sudo")
		return 0, ""
	})
	return can, err
}

// sanitize is Vault's policyutil.SanitizePolicies: trimmed, lower case,
// no duplicates or empties, sorted, with default when addDefault; root
// alone when root is among them.
func sanitize(policies []string, addDefault bool) []string {
	var out []string
	for _, p := range policies {
		p = strings.ToLower(strings.TrimSpace(p))
		if p == "root" {
			return []string{"root"}
		}
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if addDefault && !slices.Contains(out, "default") {
		out = append(out, "default")
	}
	sort.Strings(out)
	return out
}

func subset(of, l []string) bool {
	for _, p := range l {
		if !slices.Contains(of, p) {
			return false
		}
	}
	return true
}

func cloneMeta(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, val := range m {
		out[k] = val
	}
	return out
}
