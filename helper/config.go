package helper

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/hcl/ast"
	"github.com/hashicorp/hcl/hcl/token"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/store"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// ErrConfig wraps every configuration error.
var ErrConfig = errors.New("bad configuration")

// maxConfigSize bounds the configuration file.
const maxConfigSize = 1 << 20

// Config is the parsed configuration file. The zero value (no file) is
// valid: defaults everywhere, mirroring on.
type Config struct {
	Path             string // the file it was read from, "" when there was none
	Periodic         heal.Spec
	RevokeLoginToken bool
	Mirror           bool
	MirrorAddress    string // normalized; "" when not set
	Addresses        map[string]AddressConfig
	// RotateOnLogin mints a fresh periodic token on every admin login
	// instead of keeping a valid one that matches (rotate_on_login).
	RotateOnLogin bool
	// RotateGrace is how long a replaced periodic token stays valid
	// (rotate_grace; 0 revokes it at once).
	RotateGrace time.Duration
	LazyRenew   bool   // get starts a renew the scheduler missed (default true)
	MetricsFile string // the Prometheus textfile renew and status write; "" for none
}

// DefaultRotateGrace is rotate_grace when the configuration names none.
const DefaultRotateGrace = time.Hour

// AddressConfig overrides the global settings for one address.
type AddressConfig struct {
	Periodic         heal.Spec
	RevokeLoginToken *bool
}

// DefaultConfig is the configuration without a file.
func DefaultConfig() *Config {
	return &Config{Mirror: true, LazyRenew: true, Addresses: map[string]AddressConfig{}, RotateGrace: DefaultRotateGrace}
}

// For returns the spec and revoke_login_token setting of an address.
func (c *Config) For(addr string) (heal.Spec, bool) {
	spec, revoke := c.Periodic, c.RevokeLoginToken
	if a, ok := c.Addresses[addr]; ok {
		o := a.Periodic
		if o.DisplayName != "" {
			spec.DisplayName = o.DisplayName
		}
		if o.Policies != nil {
			spec.Policies = o.Policies
			if o.RequiredPolicy == "" && c.Periodic.RequiredPolicy != "" && !contains(o.Policies, c.Periodic.RequiredPolicy) {
				spec.RequiredPolicy = ""
			}
		}
		if o.Period != 0 {
			spec.Period = o.Period
		}
		if o.RequiredPolicy != "" {
			spec.RequiredPolicy = o.RequiredPolicy
		}
		if a.RevokeLoginToken != nil {
			revoke = *a.RevokeLoginToken
		}
	}
	return spec.WithDefaults(), revoke
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// LoadConfig reads the configuration at path. A missing file is the
// default configuration; a file that exists must be readable and valid.
func LoadConfig(path string) (*Config, error) {
	f, err := disk.OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DefaultConfig(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read %q: %v", ErrConfig, path, err)
	}
	if len(data) > maxConfigSize {
		return nil, fmt.Errorf("%w: %q is larger than %d bytes", ErrConfig, path, maxConfigSize)
	}
	return ParseConfig(data, path)
}

// ParseConfig parses configuration HCL. Errors name the file, the line
// and the key.
func ParseConfig(data []byte, path string) (*Config, error) {
	p := &parser{file: path}
	if p.file == "" {
		p.file = "config"
	}
	list, err := p.parse(data)
	if err != nil {
		return nil, err
	}
	cfg := DefaultConfig()
	cfg.Path = path
	seen := map[string]int{}
	// Every top-level item is checked, so one run reports every error.
	var errs []error
	for _, item := range list.Items {
		key := keyName(item, 0)
		if key != "address" {
			if prev, dup := seen[key]; dup {
				errs = append(errs, p.errf(item.Pos().Line, key, "set twice (first on line %d)", prev))
				continue
			}
			seen[key] = item.Pos().Line
		}
		if err := p.topLevel(cfg, item, key); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}

// ConfigError is one error of a configuration file: where and which key.
type ConfigError struct {
	File string
	Line int    // 0 when the file as a whole is wrong
	Key  string // "" for a syntax error
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v: %q", ErrConfig, e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": " + e.Key)
	}
	return b.String() + ": " + e.Msg
}

// Unwrap makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Unwrap() error { return ErrConfig }

// ConfigErrors lists the ConfigErrors in err (one per error found).
func ConfigErrors(err error) []*ConfigError {
	var out []*ConfigError
	var walk func(error)
	walk = func(err error) {
		if ce, ok := err.(*ConfigError); ok {
			out = append(out, ce)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

// hclPosRE is where hcl's parsers say an error is: "At 3:1: ...".
var hclPosRE = regexp.MustCompile(`^At (\d+):\d+: (.*)$`)

// syntaxError puts a plain sentence in front of hcl's parser text.
func (p *parser) syntaxError(err error) error {
	line, detail := 0, err.Error()
	if m := hclPosRE.FindStringSubmatch(detail); m != nil {
		line, _ = strconv.Atoi(m[1])
		detail = m[2]
	}
	return &ConfigError{File: p.file, Line: line,
		Msg: "the file is not valid HCL (look for a missing brace, quote or = near here); the parser said: " + detail}
}

// parse turns the file's bytes into its top-level items.
func (p *parser) parse(data []byte) (*ast.ObjectList, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: %q is not UTF-8 text", ErrConfig, p.file)
	}
	file, err := hcl.ParseBytes(data)
	if err != nil {
		return nil, p.syntaxError(err)
	}
	list, ok := file.Node.(*ast.ObjectList)
	if !ok {
		return nil, fmt.Errorf("%w: %q: not an HCL body", ErrConfig, p.file)
	}
	return list, nil
}

// topLevel sets what one top-level item of the file says.
func (p *parser) topLevel(cfg *Config, item *ast.ObjectItem, key string) error {
	var err error
	switch key {
	case "periodic_token":
		if len(item.Keys) != 1 {
			return p.errf(item.Pos().Line, key, "takes no label")
		}
		cfg.Periodic, err = p.spec(item, key)
	case "revoke_login_token":
		cfg.RevokeLoginToken, err = p.boolean(item, key)
	case "mirror":
		cfg.Mirror, err = p.boolean(item, key)
	case "mirror_address":
		cfg.MirrorAddress, err = p.mirrorAddress(item, key)
	case "address":
		err = p.addressBlock(cfg, item, key)
	case "rotate_on_login":
		cfg.RotateOnLogin, err = p.boolean(item, key)
	case "rotate_grace":
		cfg.RotateGrace, err = p.grace(item, key)
	case "lazy_renew":
		cfg.LazyRenew, err = p.boolean(item, key)
	case "metrics_file":
		if cfg.MetricsFile, err = p.str(item, key); err == nil && !filepath.IsAbs(cfg.MetricsFile) {
			err = p.errf(item.Pos().Line, key, "%q: use an absolute path, such as the directory of node_exporter's --collector.textfile.directory", cfg.MetricsFile)
		}
	default:
		err = p.errf(item.Pos().Line, key, "unknown key (known: periodic_token, revoke_login_token, mirror, mirror_address, rotate_on_login, rotate_grace, lazy_renew, metrics_file, address)")
	}
	return err
}

// vaultAddr normalizes an address the configuration names.
func (p *parser) vaultAddr(line int, key, raw string) (string, error) {
	addr, err := store.NormalizeAddr(raw)
	if err != nil || strings.TrimSpace(raw) == "" {
		return "", p.errf(line, key, "%q is not a Vault address like https://vault.example.com:8200", raw)
	}
	return addr, nil
}

func (p *parser) mirrorAddress(item *ast.ObjectItem, key string) (string, error) {
	s, err := p.str(item, key)
	if err != nil {
		return "", err
	}
	return p.vaultAddr(item.Pos().Line, key, s)
}

// addressBlock adds one address "URL" { ... } block to cfg.
func (p *parser) addressBlock(cfg *Config, item *ast.ObjectItem, key string) error {
	line := item.Pos().Line
	if len(item.Keys) != 2 {
		return p.errf(line, key, `needs one label: address "https://vault.example.com:8200" { ... }`)
	}
	raw := keyName(item, 1)
	addr, err := p.vaultAddr(line, key, raw)
	if err != nil {
		return err
	}
	if _, dup := cfg.Addresses[addr]; dup {
		return p.errf(line, key, "%q is configured twice", raw)
	}
	ac, err := p.address(item, addr)
	if err != nil {
		return err
	}
	cfg.Addresses[addr] = ac
	return nil
}

type parser struct{ file string }

func (p *parser) errf(line int, key, format string, args ...any) error {
	return &ConfigError{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func keyName(item *ast.ObjectItem, i int) string {
	if i >= len(item.Keys) {
		return ""
	}
	if v, ok := item.Keys[i].Token.Value().(string); ok {
		return v
	}
	return item.Keys[i].Token.Text
}

func (p *parser) body(item *ast.ObjectItem, key string) (*ast.ObjectList, error) {
	obj, ok := item.Val.(*ast.ObjectType)
	if !ok {
		return nil, p.errf(item.Pos().Line, key, "must be a block { ... }")
	}
	return obj.List, nil
}

func (p *parser) address(item *ast.ObjectItem, addr string) (AddressConfig, error) {
	var ac AddressConfig
	list, err := p.body(item, "address")
	if err != nil {
		return ac, err
	}
	seen := map[string]bool{}
	var errs []error
	for _, it := range list.Items {
		err := func() error {
			key := keyName(it, 0)
			full := fmt.Sprintf("address %q %s", addr, key)
			if seen[key] {
				return p.errf(it.Pos().Line, full, "set twice")
			}
			seen[key] = true
			switch key {
			case "periodic_token":
				if len(it.Keys) != 1 {
					return p.errf(it.Pos().Line, full, "takes no label")
				}
				spec, err := p.spec(it, full)
				if err != nil {
					return err
				}
				ac.Periodic = spec
			case "revoke_login_token":
				b, err := p.boolean(it, full)
				if err != nil {
					return err
				}
				ac.RevokeLoginToken = &b
			default:
				return p.errf(it.Pos().Line, full, "unknown key (known in an address block: periodic_token, revoke_login_token)")
			}
			return nil
		}()
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return ac, errors.Join(errs...)
	}
	return ac, nil
}

// displayNameRE is what Vault keeps as it is in a display name.
var displayNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]*$`)

func (p *parser) spec(item *ast.ObjectItem, prefix string) (heal.Spec, error) {
	var s heal.Spec
	list, err := p.body(item, prefix)
	if err != nil {
		return s, err
	}
	seen := map[string]bool{}
	var errs []error
	for _, it := range list.Items {
		err := func() error {
			key := keyName(it, 0)
			full := prefix + "." + key
			line := it.Pos().Line
			if seen[key] {
				return p.errf(line, full, "set twice")
			}
			seen[key] = true
			switch key {
			case "display_name":
				v, err := p.str(it, full)
				if err != nil {
					return err
				}
				if !displayNameRE.MatchString(v) || len(v) > 100 || strings.HasSuffix(v, "-") {
					return p.errf(line, full, "%q: use letters, digits and dashes (Vault shows it as token-<display_name>)", v)
				}
				s.DisplayName = v
			case "policies":
				v, err := p.policies(it, full)
				if err != nil {
					return err
				}
				s.Policies = v
			case "period":
				v, err := p.str(it, full)
				if err != nil {
					return err
				}
				d, err := time.ParseDuration(v)
				if err != nil || d < time.Minute {
					return p.errf(line, full, "%q is not a duration of at least 1m, like 768h", v)
				}
				s.Period = d
			case "required_policy":
				v, err := p.requiredPolicy(it, full)
				if err != nil {
					return err
				}
				s.RequiredPolicy = v
			default:
				return p.errf(line, full, "unknown key (known: display_name, policies, period, required_policy)")
			}
			return nil
		}()
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return s, errors.Join(errs...)
	}
	if s.RequiredPolicy != "" && s.Policies != nil && !contains(s.Policies, s.RequiredPolicy) {
		return s, p.errf(item.Pos().Line, prefix+".required_policy", "%q is not among the policies %v", s.RequiredPolicy, s.Policies)
	}
	return s, nil
}

// policies reads periodic_token.policies: lower-case names, not root,
// not default alone.
func (p *parser) policies(it *ast.ObjectItem, full string) ([]string, error) {
	line := it.Pos().Line
	v, err := p.strList(it, full)
	if err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, p.errf(line, full, "is empty; name at least one policy, or remove the key to use the login token's own")
	}
	for _, pol := range v {
		switch {
		case strings.TrimSpace(pol) == "" || strings.ContainsAny(pol, " \t\n,"):
			return nil, p.errf(line, full, "%q is not a policy name", pol)
		case strings.EqualFold(pol, "root"):
			return nil, p.errf(line, full, "root is never minted")
		case pol != strings.ToLower(pol):
			return nil, p.errf(line, full, "%q: Vault stores policy names in lower case; write %q", pol, strings.ToLower(pol))
		}
	}
	if len(v) == 1 && v[0] == "default" {
		return nil, p.errf(line, full, "only default: name a policy that tells the periodic token apart")
	}
	return v, nil
}

// requiredPolicy reads periodic_token.required_policy: a lower-case name
// that can tell our token apart (not root, not default).
func (p *parser) requiredPolicy(it *ast.ObjectItem, full string) (string, error) {
	line := it.Pos().Line
	v, err := p.str(it, full)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(v) == "" || strings.EqualFold(v, "root") || v == "default" {
		return "", p.errf(line, full, "%q cannot tell our token apart; name a policy only the periodic token has", v)
	}
	if v != strings.ToLower(v) {
		return "", p.errf(line, full, "%q: Vault stores policy names in lower case; write %q", v, strings.ToLower(v))
	}
	return v, nil
}

// grace reads rotate_grace: a duration of 0 or more, like "1h".
func (p *parser) grace(item *ast.ObjectItem, key string) (time.Duration, error) {
	v, err := p.str(item, key)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, p.errf(item.Pos().Line, key, "%q is not a duration of 0 or more, like \"1h\" (\"0s\" revokes a replaced token at once)", v)
	}
	return d, nil
}

func (p *parser) literal(item *ast.ObjectItem, key string) (*ast.LiteralType, error) {
	if len(item.Keys) != 1 {
		return nil, p.errf(item.Pos().Line, key, "takes no label")
	}
	lit, ok := item.Val.(*ast.LiteralType)
	if !ok {
		return nil, p.errf(item.Pos().Line, key, "must be a single value, not a block or a list")
	}
	return lit, nil
}

func (p *parser) str(item *ast.ObjectItem, key string) (string, error) {
	lit, err := p.literal(item, key)
	if err != nil {
		return "", err
	}
	if lit.Token.Type != token.STRING {
		return "", p.errf(item.Pos().Line, key, "must be a quoted string, not %s", lit.Token.Text)
	}
	v, _ := lit.Token.Value().(string)
	return v, nil
}

func (p *parser) boolean(item *ast.ObjectItem, key string) (bool, error) {
	lit, err := p.literal(item, key)
	if err != nil {
		return false, err
	}
	if lit.Token.Type != token.BOOL {
		return false, p.errf(item.Pos().Line, key, "must be true or false, not %s", lit.Token.Text)
	}
	v, _ := lit.Token.Value().(bool)
	return v, nil
}

func (p *parser) strList(item *ast.ObjectItem, key string) ([]string, error) {
	if len(item.Keys) != 1 {
		return nil, p.errf(item.Pos().Line, key, "takes no label")
	}
	l, ok := item.Val.(*ast.ListType)
	if !ok {
		return nil, p.errf(item.Pos().Line, key, `must be a list of strings like ["vault-admin"]`)
	}
	out := []string{}
	for _, n := range l.List {
		lit, ok := n.(*ast.LiteralType)
		if !ok || lit.Token.Type != token.STRING {
			return nil, p.errf(n.Pos().Line, key, `must be a list of strings like ["vault-admin"]`)
		}
		v, _ := lit.Token.Value().(string)
		out = append(out, v)
	}
	return out, nil
}
