package fakevault

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
)

// Backend is a Vault a scenario runs against: the calls of heal.Vault,
// plus what an operator sets up. The fake is one; internal/e2e adapts a
// real dev server.
type Backend interface {
	heal.Vault
	// Root returns a root token.
	Root() string
	// SetPolicy writes a policy.
	SetPolicy(name string, p Policy)
	// Login logs user in with userpass: token policies, identity
	// policies (from the user's entity) and a TTL.
	Login(user string, policies, identityPolicies []string, ttl time.Duration) string
}

// Scenario is one sequence of calls whose outcome the fake and a real
// Vault must agree on.
type Scenario struct {
	Name string
	Run  func(ctx context.Context, b Backend) []string
}

// Policies the scenarios use, as a real server would be set up.
var scenarioPolicies = map[string]Policy{
	"fv-admin":  Admin,
	"fv-dev":    {"secret/*": {"read"}},
	"fv-minter": {"auth/token/create-orphan": {"update"}},
	"fv-reader": {"*": {"read", "list"}},
	"fv-sudo":   {"auth/token/create-orphan": {"update", "sudo"}},
	// A valid token this policy refuses lookup-self: 403 without
	// "invalid token".
	"fv-nolookup": {"auth/token/lookup-self": {"deny"}},
}

// SetUp writes the scenarios' policies into b.
func SetUp(b Backend) {
	for name, p := range scenarioPolicies {
		b.SetPolicy(name, p)
	}
}

// Describe is an outcome in the words a scenario compares: the kind of
// error and Vault's message, or "ok".
func Describe(err error) string {
	if err == nil {
		return "ok"
	}
	var ve *heal.VaultError
	if errors.As(err, &ve) {
		return fmt.Sprintf("%s (HTTP %d: %s)", kind(err), ve.Status, ve.Detail)
	}
	return kind(err) + ": " + err.Error()
}

func kind(err error) string {
	for _, k := range []struct {
		err  error
		name string
	}{{heal.ErrInvalidToken, "invalid token"}, {heal.ErrUnknownAccessor, "unknown accessor"}, {heal.ErrDenied, "denied"}, {heal.ErrUnavailable, "unavailable"}} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "other"
}

// DescribeInfo is what a lookup says, without what differs between two
// servers (accessors, exact TTLs).
func DescribeInfo(i heal.TokenInfo) string {
	ttl := "no ttl"
	switch {
	case i.TTL > 0 && i.Period > 0 && i.Period-i.TTL < time.Minute:
		ttl = "ttl≈period"
	case i.TTL > 0:
		ttl = fmt.Sprintf("ttl≈%s", i.TTL.Round(time.Hour))
	}
	meta := map[string]string{}
	for k, v := range i.Meta {
		if v != "" {
			meta[k] = v
		}
	}
	return fmt.Sprintf("display=%s policies=%v identity=%v period=%s %s expires=%v orphan=%v renewable=%v path=%s type=%s meta=%v",
		i.DisplayName, i.Policies, i.IdentityPolicies, i.Period, ttl, !i.ExpireTime.IsZero(), i.Orphan, i.Renewable, i.Path, i.Type, meta)
}

func lookup(ctx context.Context, b Backend, token string) string {
	info, err := b.LookupSelf(ctx, token)
	if err != nil {
		return "lookup-self: " + Describe(err)
	}
	return "lookup-self: " + DescribeInfo(info)
}

const week = 168 * time.Hour

func mint(ctx context.Context, b Backend, token string, req heal.MintRequest) (heal.Minted, string) {
	m, err := b.CreateOrphan(ctx, token, req)
	return m, "create-orphan: " + Describe(err)
}

var periodic = heal.MintRequest{Policies: []string{"fv-admin"}, Period: 768 * time.Hour, DisplayName: "fv-devvm",
	Meta: map[string]string{"created_by": "vault-token-helper", "intent_id": "fv"}}

// Scenarios are the rules of Vault the fake claims to follow. Each user
// name is used by one scenario only.
var Scenarios = []Scenario{
	{"a userpass login", func(ctx context.Context, b Backend) []string {
		return []string{lookup(ctx, b, b.Login("fv-jane", []string{"fv-dev"}, nil, week))}
	}},
	{"a root token", func(ctx context.Context, b Backend) []string {
		return []string{lookup(ctx, b, b.Root())}
	}},
	{"an admin login mints a periodic orphan", func(ctx context.Context, b Backend) []string {
		m, out := mint(ctx, b, b.Login("fv-admin1", []string{"fv-admin"}, nil, week), periodic)
		return []string{out, lookup(ctx, b, m.Token)}
	}},
	{"the display name is sanitized", func(ctx context.Context, b Backend) []string {
		req := periodic
		req.DisplayName = "dev_vm.1-"
		m, out := mint(ctx, b, b.Root(), req)
		return []string{out, lookup(ctx, b, m.Token)}
	}},
	{"a default-only login cannot mint", func(ctx context.Context, b Backend) []string {
		_, out := mint(ctx, b, b.Login("fv-weak", nil, nil, week), periodic)
		return []string{out}
	}},
	{"create-orphan without sudo: no periodic token, only a subset of policies", func(ctx context.Context, b Backend) []string {
		tok := b.Login("fv-minter", []string{"fv-minter"}, nil, week)
		_, periodicOut := mint(ctx, b, tok, heal.MintRequest{Policies: []string{"fv-minter"}, Period: time.Hour, DisplayName: "x"})
		_, subsetOut := mint(ctx, b, tok, heal.MintRequest{Policies: []string{"fv-admin"}, DisplayName: "x"})
		m, okOut := mint(ctx, b, tok, heal.MintRequest{Policies: []string{"fv-minter"}, DisplayName: "x"})
		return []string{periodicOut, subsetOut, okOut, lookup(ctx, b, m.Token)}
	}},
	{"sudo on create-orphan: any policies, but never root", func(ctx context.Context, b Backend) []string {
		tok := b.Login("fv-sudo", []string{"fv-sudo"}, nil, week)
		m, out := mint(ctx, b, tok, heal.MintRequest{Policies: []string{"fv-dev"}, Period: time.Hour, DisplayName: "s"})
		_, rootOut := mint(ctx, b, tok, heal.MintRequest{Policies: []string{"root"}, Period: time.Hour, DisplayName: "s"})
		return []string{out, lookup(ctx, b, m.Token), rootOut}
	}},
	{"identity policies count for what a token may do", func(ctx context.Context, b Backend) []string {
		tok := b.Login("fv-ident", nil, []string{"fv-sudo"}, week)
		can, err := b.CanMint(ctx, tok)
		m, out := mint(ctx, b, tok, heal.MintRequest{Policies: []string{"fv-dev"}, Period: time.Hour, DisplayName: "i"})
		return []string{lookup(ctx, b, tok), fmt.Sprintf("can mint: %v %s", can, Describe(err)), out, lookup(ctx, b, m.Token)}
	}},
	{"capabilities-self on create-orphan", func(ctx context.Context, b Backend) []string {
		var out []string
		for _, u := range []struct{ name, policy string }{{"fv-cap-admin", "fv-admin"}, {"fv-cap-minter", "fv-minter"}, {"fv-cap-reader", "fv-reader"}, {"fv-cap-dev", "fv-dev"}} {
			can, err := b.CanMint(ctx, b.Login(u.name, []string{u.policy}, nil, week))
			out = append(out, fmt.Sprintf("%s can mint: %v %s", u.policy, can, Describe(err)))
		}
		_, err := b.CanMint(ctx, "hvs.unknown")
		return append(out, "unknown token: "+Describe(err))
	}},
	{"renew-self", func(ctx context.Context, b Backend) []string {
		m, _ := mint(ctx, b, b.Root(), periodic)
		ttl, err := b.RenewSelf(ctx, m.Token, 768*time.Hour)
		login := b.Login("fv-renew", []string{"fv-dev"}, nil, week)
		lttl, lerr := b.RenewSelf(ctx, login, time.Hour)
		_, ierr := b.RenewSelf(ctx, "hvs.unknown", time.Hour)
		_, rerr := b.RenewSelf(ctx, b.Root(), time.Hour)
		return []string{
			fmt.Sprintf("periodic: %s %s", ttl.Round(time.Minute), Describe(err)),
			fmt.Sprintf("login: %s %s", lttl.Round(time.Minute), Describe(lerr)),
			"unknown: " + Describe(ierr),
			"root: " + kindOnly(rerr),
		}
	}},
	{"by accessor: lookup, revoke, list", func(ctx context.Context, b Backend) []string {
		admin := b.Login("fv-acc-admin", []string{"fv-admin"}, nil, week)
		reader := b.Login("fv-acc-reader", []string{"fv-reader"}, nil, week)
		m, _ := mint(ctx, b, admin, periodic)
		info, err := b.LookupAccessor(ctx, admin, m.Accessor)
		out := []string{"lookup-accessor: " + Describe(err) + " " + DescribeInfo(info)}
		_, err = b.LookupAccessor(ctx, reader, m.Accessor)
		out = append(out, "reader lookup-accessor: "+Describe(err))
		_, err = b.LookupAccessor(ctx, admin, "nosuchaccessor")
		out = append(out, "unknown lookup-accessor: "+Describe(err))
		accs, err := b.ListAccessors(ctx, admin)
		out = append(out, fmt.Sprintf("list: %v listed=%v", Describe(err), slices.Contains(accs, m.Accessor)))
		_, err = b.ListAccessors(ctx, reader)
		out = append(out, "reader list: "+Describe(err))
		out = append(out, "reader revoke-accessor: "+Describe(b.RevokeAccessor(ctx, reader, m.Accessor)))
		out = append(out, "revoke-accessor: "+Describe(b.RevokeAccessor(ctx, admin, m.Accessor)))
		out = append(out, lookup(ctx, b, m.Token))
		out = append(out, "revoke-accessor again: "+Describe(b.RevokeAccessor(ctx, admin, m.Accessor)))
		return out
	}},
	{"a policy that denies lookup-self: denied, not invalid; the token still mints", func(ctx context.Context, b Backend) []string {
		tok := b.Login("fv-blind", []string{"fv-admin", "fv-nolookup"}, nil, week)
		m, out := mint(ctx, b, tok, periodic)
		return []string{lookup(ctx, b, tok), lookup(ctx, b, "hvs.unknown"), out, lookup(ctx, b, m.Token)}
	}},
	{"revoke-self", func(ctx context.Context, b Backend) []string {
		tok := b.Login("fv-revoke", []string{"fv-dev"}, nil, week)
		return []string{
			"revoke-self: " + Describe(b.RevokeSelf(ctx, tok)),
			lookup(ctx, b, tok),
			"again: " + Describe(b.RevokeSelf(ctx, tok)),
		}
	}},
}

// kindOnly describes an error by its kind alone, where Vault's message
// is not part of the rule.
func kindOnly(err error) string {
	if err == nil {
		return "ok"
	}
	return kind(err)
}
