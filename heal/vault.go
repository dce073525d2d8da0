package heal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// TokenInfo is what Vault says about a token. It never holds the token.
type TokenInfo struct {
	Accessor    string
	DisplayName string
	Policies    []string
	// IdentityPolicies are the policies the token gets from its identity
	// (entity and groups): not part of the token, but they decide what it
	// may do.
	IdentityPolicies []string
	Period           time.Duration
	TTL              time.Duration
	ExpireTime       time.Time
	Orphan           bool
	Renewable        bool
	Meta             map[string]string
	Path             string // how it was created: auth/userpass/login/jane, auth/token/create...
	Type             string // "service" or "batch" (a batch token can never mint)
}

// Batch reports whether Vault said the token is a batch token, which
// can create no token at all (Vault answers 400 "batch tokens cannot
// create more tokens").
func (i TokenInfo) Batch() bool { return i.Type == "batch" }

// HasPolicy reports whether p is among the token's policies.
func (i TokenInfo) HasPolicy(p string) bool {
	for _, q := range i.Policies {
		if q == p {
			return true
		}
	}
	return false
}

// MintRequest is what auth/token/create-orphan is asked for.
type MintRequest struct {
	Policies    []string
	Period      time.Duration
	DisplayName string
	Meta        map[string]string
}

// Minted is a token Vault just created.
type Minted struct {
	Token    string
	Accessor string
}

// Vault is every call vault-token-helper makes. Each call names the
// token whose authority it uses; the implementation never keeps one.
type Vault interface {
	Addr() string
	LookupSelf(ctx context.Context, token string) (TokenInfo, error)
	LookupAccessor(ctx context.Context, token, accessor string) (TokenInfo, error)
	CreateOrphan(ctx context.Context, token string, req MintRequest) (Minted, error)
	RenewSelf(ctx context.Context, token string, increment time.Duration) (time.Duration, error)
	RevokeSelf(ctx context.Context, token string) error
	RevokeAccessor(ctx context.Context, token, accessor string) error
	ListAccessors(ctx context.Context, token string) ([]string, error)
	CanMint(ctx context.Context, token string) (bool, error)
}

var _ Vault = (*APIVault)(nil)

// DefaultTimeout bounds each Vault request unless VAULT_CLIENT_TIMEOUT
// says otherwise (the caller of NewAPIVault decides).
const DefaultTimeout = 10 * time.Second

// APIVault is Vault through github.com/hashicorp/vault/api, configured
// from the VAULT_* environment as the CLI is (TLS, namespace, proxy...),
// with the address set explicitly and no token of its own.
type APIVault struct {
	client *api.Client
	addr   string
	retry  RetryPolicy
}

// ClientOptions are what a command decides about its Vault client beyond
// the VAULT_* environment.
type ClientOptions struct {
	// Timeout bounds each request (0: as vault/api reads
	// VAULT_CLIENT_TIMEOUT).
	Timeout time.Duration
	// TLS, when not nil, is applied over the environment's TLS settings:
	// the ones recorded with the stored token (see store.TLS).
	TLS *store.TLS
	// Retry is how idempotent calls are retried (zero: InteractiveRetry).
	Retry RetryPolicy
}

// NewAPIVault returns a client for addr (as given in VAULT_ADDR) and
// namespace. The caller's VAULT_TOKEN is never used.
func NewAPIVault(addr, namespace string, o ClientOptions) (*APIVault, error) {
	cfg := api.DefaultConfig()
	if cfg.Error != nil {
		return nil, fmt.Errorf("vault client configuration: %w", cfg.Error)
	}
	cfg.Address = addr
	cfg.AgentAddress = ""
	cfg.MaxRetries = 0 // retried below, only where it is safe
	if o.Timeout > 0 {
		cfg.Timeout = o.Timeout
	}
	if t := o.TLS; t != nil {
		if err := cfg.ConfigureTLS(&api.TLSConfig{CACert: t.CACert, CAPath: t.CAPath, ClientCert: t.ClientCert,
			ClientKey: t.ClientKey, TLSServerName: t.TLSServerName, Insecure: t.SkipVerify}); err != nil {
			return nil, fmt.Errorf("vault client for %s with the TLS settings recorded with its token (%s): %w", addr, strings.Join(t.Vars(), " "), err)
		}
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("vault client for %s: %w", addr, err)
	}
	c.ClearToken()
	c.SetNamespace(namespace)
	if o.Retry == (RetryPolicy{}) {
		o.Retry = InteractiveRetry
	}
	return &APIVault{client: c, addr: addr, retry: o.Retry}, nil
}

// Addr is the address this client talks to.
func (v *APIVault) Addr() string { return v.addr }

// do sends one request with token's authority. Idempotent requests are
// retried on a transient failure within the client's RetryPolicy;
// others (a mint) never are.
func (v *APIVault) do(ctx context.Context, op, method, path, token string, body any, idempotent bool) (map[string]any, *api.Secret, error) {
	var (
		data map[string]any
		sec  *api.Secret
	)
	attempt := func() *VaultError {
		var err *VaultError
		data, sec, err = v.once(ctx, op, method, path, token, body)
		return err
	}
	if !idempotent {
		if err := attempt(); err != nil {
			return nil, nil, err
		}
		return data, sec, nil
	}
	start := time.Now()
	err, n := retry(ctx, v.retry, func(e *VaultError) bool { return e != nil && retryable(e) }, attempt)
	if err != nil {
		err.Attempts, err.Took = n, time.Since(start)
		return nil, nil, err
	}
	return data, sec, nil
}

// call is do, with the failure judged by what was asked once the
// retries are over.
func (v *APIVault) call(ctx context.Context, op, method, path, token string, body any, idempotent bool) (map[string]any, *api.Secret, error) {
	data, sec, err := v.do(ctx, op, method, path, token, body, idempotent)
	var ve *VaultError
	if errors.As(err, &ve) {
		judge(ve)
	}
	return data, sec, err
}

func (v *APIVault) once(ctx context.Context, op, method, path, token string, body any) (map[string]any, *api.Secret, *VaultError) {
	req := v.client.NewRequest(method, path)
	req.ClientToken = token
	if body != nil {
		if err := req.SetJSONBody(body); err != nil {
			return nil, nil, &VaultError{Addr: v.addr, Op: op, Detail: err.Error(), Kind: ErrUnavailable}
		}
	}
	// The raw request is the one call that takes a token per request
	// (req.ClientToken) without changing the shared client, and that shows
	// the HTTP status this package classifies: 403 judges a mint.
	//lint:ignore SA1019 the Logical() helpers offer neither.
	resp, err := v.client.RawRequestWithContext(ctx, req)
	if resp != nil {
		defer resp.Body.Close()
	}
	if err != nil {
		return nil, nil, v.classify(op, method, resp, err)
	}
	sec, err := api.ParseSecret(resp.Body)
	if err != nil {
		return nil, nil, &VaultError{Addr: v.addr, Op: op, Status: resp.StatusCode, Broken: true,
			Detail: "unreadable answer: " + transportCause(err), Kind: ErrUnavailable, Unknown: method != http.MethodGet}
	}
	if sec == nil {
		return nil, nil, nil
	}
	return sec.Data, sec, nil
}

// classify turns a failed call into a VaultError of the right kind.
func (v *APIVault) classify(op, method string, resp *api.Response, err error) *VaultError {
	var re *api.ResponseError
	if errors.As(err, &re) {
		return AnswerError(v.addr, op, method, Answer{Status: re.StatusCode, Errors: re.Errors, Raw: re.RawError})
	}
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	return TransportError(v.addr, op, method, status, err)
}

// LookupSelf asks Vault about token with its own authority. A 403 means
// the token is not valid.
func (v *APIVault) LookupSelf(ctx context.Context, token string) (TokenInfo, error) {
	data, _, err := v.call(ctx, OpLookupSelf, http.MethodGet, "/v1/auth/token/lookup-self", token, nil, true)
	if err != nil {
		return TokenInfo{}, err
	}
	return v.tokenInfo(OpLookupSelf, data)
}

// LookupAccessor asks about the token with accessor, with token's
// authority.
func (v *APIVault) LookupAccessor(ctx context.Context, token, accessor string) (TokenInfo, error) {
	data, _, err := v.call(ctx, OpLookupAccessor, http.MethodPost, "/v1/auth/token/lookup-accessor", token,
		map[string]any{"accessor": accessor}, true)
	if err != nil {
		return TokenInfo{}, err
	}
	return v.tokenInfo(OpLookupAccessor, data)
}

// CreateOrphan mints an orphan periodic token with token's authority.
// It is never retried: a repeat could mint twice.
func (v *APIVault) CreateOrphan(ctx context.Context, token string, r MintRequest) (Minted, error) {
	body := map[string]any{
		"policies":          r.Policies,
		"period":            r.Period.String(),
		"display_name":      r.DisplayName,
		"renewable":         true,
		"no_default_policy": false,
		"meta":              r.Meta,
	}
	_, sec, err := v.call(ctx, OpCreateOrphan, http.MethodPost, "/v1/auth/token/create-orphan", token, body, false)
	if err != nil {
		return Minted{}, err
	}
	if sec == nil || sec.Auth == nil || sec.Auth.ClientToken == "" {
		return Minted{}, &VaultError{Addr: v.addr, Op: OpCreateOrphan, Detail: "answer has no token", Kind: ErrUnavailable, Unknown: true}
	}
	return Minted{Token: sec.Auth.ClientToken, Accessor: sec.Auth.Accessor}, nil
}

// RenewSelf renews token with its own authority and returns the new TTL.
func (v *APIVault) RenewSelf(ctx context.Context, token string, increment time.Duration) (time.Duration, error) {
	body := map[string]any{}
	if increment > 0 {
		body["increment"] = increment.String()
	}
	_, sec, err := v.call(ctx, OpRenewSelf, http.MethodPost, "/v1/auth/token/renew-self", token, body, true)
	if err != nil {
		return 0, err
	}
	if sec == nil || sec.Auth == nil {
		return 0, nil
	}
	return time.Duration(sec.Auth.LeaseDuration) * time.Second, nil
}

// RevokeSelf revokes token with its own authority.
func (v *APIVault) RevokeSelf(ctx context.Context, token string) error {
	_, _, err := v.call(ctx, OpRevokeSelf, http.MethodPost, "/v1/auth/token/revoke-self", token, nil, true)
	return err
}

// RevokeAccessor revokes the token with accessor, with token's authority.
// An accessor that names no token is ErrUnknownAccessor.
func (v *APIVault) RevokeAccessor(ctx context.Context, token, accessor string) error {
	_, _, err := v.call(ctx, OpRevokeAccessor, http.MethodPost, "/v1/auth/token/revoke-accessor", token,
		map[string]any{"accessor": accessor}, true)
	return err
}

// ListAccessors lists every token accessor (needs sudo on
// auth/token/accessors).
func (v *APIVault) ListAccessors(ctx context.Context, token string) ([]string, error) {
	data, _, err := v.call(ctx, OpListAccessors, "LIST", "/v1/auth/token/accessors", token, nil, true)
	if err != nil {
		return nil, err
	}
	return stringList(data["keys"]), nil
}

// CanMint asks Vault (sys/capabilities-self) whether token may mint a
// periodic token: update (or create) and sudo on
// auth/token/create-orphan, as Vault requires for a period; root may.
// It mints nothing.
func (v *APIVault) CanMint(ctx context.Context, token string) (bool, error) {
	data, _, err := v.call(ctx, OpCapabilities, http.MethodPost, "/v1/sys/capabilities-self", token,
		map[string]any{"paths": []string{"auth/token/create-orphan"}}, true)
	if err != nil {
		return false, err
	}
	caps, _ := data["auth/token/create-orphan"].([]any)
	if len(caps) == 0 {
		caps, _ = data["capabilities"].([]any)
	}
	write, sudo := false, false
	for _, c := range caps {
		switch c {
		case "root":
			return true, nil
		case "update", "create":
			write = true
		case "sudo":
			sudo = true
		}
	}
	return write && sudo, nil
}

// tokenInfo reads a lookup answer. Absent fields stay zero; a present
// field Vault would never send in that shape is an unreadable answer.
func (v *APIVault) tokenInfo(op string, d map[string]any) (TokenInfo, error) {
	info := TokenInfo{Meta: map[string]string{}}
	info.Accessor, _ = d["accessor"].(string)
	info.DisplayName, _ = d["display_name"].(string)
	info.Orphan, _ = d["orphan"].(bool)
	info.Renewable, _ = d["renewable"].(bool)
	info.Path, _ = d["path"].(string)
	info.Type, _ = d["type"].(string)
	info.Policies = stringList(d["policies"])
	info.IdentityPolicies = stringList(d["identity_policies"])
	var errs []error
	var err error
	info.Period, err = seconds(d["period"])
	errs = append(errs, err)
	info.TTL, err = seconds(d["ttl"])
	errs = append(errs, err)
	if s, ok := d["expire_time"].(string); ok && s != "" {
		info.ExpireTime, err = time.Parse(time.RFC3339Nano, s)
		errs = append(errs, err)
	}
	if m, ok := d["meta"].(map[string]any); ok {
		for k, val := range m {
			info.Meta[k], _ = val.(string) // a null value is an empty one
		}
	}
	if err := errors.Join(errs...); err != nil {
		return info, &VaultError{Addr: v.addr, Op: op, Detail: "unreadable answer: " + firstLine(err.Error(), 200), Kind: ErrUnavailable}
	}
	return info, nil
}

// stringList reads a JSON list of strings; anything else is no list.
func stringList(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// seconds reads a JSON number of seconds; absent is zero.
func seconds(v any) (time.Duration, error) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return time.Duration(i) * time.Second, err
	case float64:
		return time.Duration(n) * time.Second, nil
	}
	return 0, nil
}
