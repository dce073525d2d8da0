package vaulttest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/vault/api"
	"github.com/oauth2-proxy/mockoidc"
)

// Home is one user's world for a test: HOME, the XDG directories and the
// Vault CLI's config file, all under a fresh temporary directory.
type Home struct {
	Dir        string // HOME
	ConfigHome string // XDG_CONFIG_HOME
	DataHome   string // XDG_DATA_HOME
	StateHome  string // XDG_STATE_HOME
	CacheHome  string // XDG_CACHE_HOME
	VaultCfg   string // VAULT_CONFIG_PATH

	server *Server
	extra  map[string]string
}

// NewHome makes a fresh home whose VAULT_ADDR is s (s may be nil).
// With helper set, the Vault CLI is configured to use it as its token
// helper; with helper empty, the CLI uses its built-in file helper.
func NewHome(t T, s *Server, helper string) *Home {
	t.Helper()
	dir := t.TempDir()
	h := &Home{
		Dir:        filepath.Join(dir, "home"),
		ConfigHome: filepath.Join(dir, "home", ".config"),
		DataHome:   filepath.Join(dir, "home", ".local", "share"),
		StateHome:  filepath.Join(dir, "home", ".local", "state"),
		CacheHome:  filepath.Join(dir, "home", ".cache"),
		server:     s,
		extra:      map[string]string{},
	}
	h.VaultCfg = filepath.Join(h.Dir, ".vault")
	for _, d := range []string{h.Dir, h.ConfigHome, h.DataHome, h.StateHome, h.CacheHome} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if helper != "" {
		h.UseHelper(t, helper)
	}
	return h
}

// UseHelper points the CLI's token_helper at the given binary.
func (h *Home) UseHelper(t T, helper string) {
	t.Helper()
	abs, err := filepath.Abs(helper)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.VaultCfg, []byte(fmt.Sprintf("token_helper = %q\n", abs)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TokenFile is the path the built-in helper (and our mirror) writes.
func (h *Home) TokenFile() string { return filepath.Join(h.Dir, ".vault-token") }

// Setenv sets an extra variable for every command run in this home.
func (h *Home) Setenv(key, value string) { h.extra[key] = value }

// Unsetenv removes an extra variable (or VAULT_ADDR) from the commands' env.
func (h *Home) Unsetenv(key string) { h.extra[key] = "\x00unset" }

// Env is the complete environment of commands run in this home.
func (h *Home) Env() []string {
	env := map[string]string{
		"HOME":              h.Dir,
		"USER":              "tester",
		"PATH":              "/usr/local/bin:/usr/bin:/bin",
		"XDG_CONFIG_HOME":   h.ConfigHome,
		"XDG_DATA_HOME":     h.DataHome,
		"XDG_STATE_HOME":    h.StateHome,
		"XDG_CACHE_HOME":    h.CacheHome,
		"XDG_RUNTIME_DIR":   filepath.Join(h.Dir, ".run"),
		"VAULT_CONFIG_PATH": h.VaultCfg,
	}
	if h.server != nil {
		env["VAULT_ADDR"] = h.server.Addr
	}
	if d := os.Getenv("GOCOVERDIR"); d != "" {
		env["GOCOVERDIR"] = d
	}
	for k, v := range h.extra {
		if v == "\x00unset" {
			delete(env, k)
			continue
		}
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// Result is how a command ended.
type Result struct {
	Code   int
	Stdout string
	Stderr string
}

func (r Result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.Code, r.Stdout, r.Stderr)
}

// Run runs a program in this home with stdin (may be empty), failing the
// test when it cannot be started or runs past its deadline.
func (h *Home) Run(t T, stdin string, name string, args ...string) Result {
	t.Helper()
	ctx, cancel := commandContext(t)
	defer cancel()
	res, err := h.Exec(ctx, stdin, name, args...)
	if err != nil {
		t.Fatalf("run %s %v: %v\n%s", name, args, err, res)
	}
	return res
}

// Exec runs a program in this home until it exits or ctx ends. It may be
// called from any goroutine: a program that cannot be started, or is
// killed because ctx ended, is an error rather than a failed test.
func (h *Home) Exec(ctx context.Context, stdin string, name string, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = h.Env()
	cmd.Dir = h.Dir
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ctx.Err() != nil {
		return res, fmt.Errorf("killed: %w", ctx.Err())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code, err = ee.ExitCode(), nil
	}
	return res, err
}

// Vault runs the real vault CLI in this home.
func (h *Home) Vault(t T, args ...string) Result {
	t.Helper()
	return h.Run(t, "", Bin(t), args...)
}

// LoginUserpass runs `vault login -method=userpass` through the CLI.
func (h *Home) LoginUserpass(t T, user string, extra ...string) Result {
	t.Helper()
	args := append([]string{"login", "-method=userpass"}, extra...)
	args = append(args, "username="+user, "password="+Password)
	return h.Vault(t, args...)
}

// OIDC is the mock OIDC provider wired to a Server's oidc auth method.
type OIDC struct {
	Provider *mockoidc.MockOIDC
	Port     int // the CLI's callback port
}

// OIDCRole is the role EnableOIDC creates, with policies vault-admin and
// sops-admin and token_max_ttl 168h.
const OIDCRole = "admin"

// OIDCWeakRole is a role whose tokens have only the default policy.
const OIDCWeakRole = "weak"

// EnableOIDC starts a mock OIDC provider on loopback and configures the
// oidc auth method with roles OIDCRole and OIDCWeakRole.
func (s *Server) EnableOIDC(t T) *OIDC {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatalf("start mock OIDC provider: %v", err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg := m.Config()
	root := s.Root(t)
	if err := root.Sys().EnableAuthWithOptions("oidc", &api.EnableAuthOptions{Type: "oidc"}); err != nil {
		t.Fatalf("enable oidc: %v", err)
	}
	if _, err := root.Logical().Write("auth/oidc/config", map[string]any{
		"oidc_discovery_url": cfg.Issuer,
		"oidc_client_id":     cfg.ClientID,
		"oidc_client_secret": cfg.ClientSecret,
		"default_role":       OIDCRole,
	}); err != nil {
		t.Fatalf("configure oidc: %v", err)
	}
	for role, policies := range map[string]string{OIDCRole: AdminPolicy + "," + SopsPolicy, OIDCWeakRole: "default"} {
		if _, err := root.Logical().Write("auth/oidc/role/"+role, map[string]any{
			"role_type":             "oidc",
			"user_claim":            "sub",
			"allowed_redirect_uris": fmt.Sprintf("http://localhost:%d/oidc/callback", port),
			"oidc_scopes":           "openid,email,profile",
			"token_policies":        policies,
			"token_max_ttl":         "168h",
		}); err != nil {
			t.Fatalf("create oidc role %s: %v", role, err)
		}
	}
	s.oidcMu.Lock()
	s.oidcCB = port
	s.oidcMu.Unlock()
	return &OIDC{Provider: m, Port: port}
}

var authorizeURL = regexp.MustCompile(`https?://\S+/authorize\?\S+`)

// LoginOIDC runs a real `vault login -method=oidc` through the CLI and
// completes the browser step with an HTTP client that follows redirects
// to the CLI's callback listener. EnableOIDC must have run on the server.
func (h *Home) LoginOIDC(t T, role string, extra ...string) Result {
	t.Helper()
	if h.server == nil {
		t.Fatal("LoginOIDC: home has no server")
	}
	h.server.oidcMu.Lock()
	port := h.server.oidcCB
	h.server.oidcMu.Unlock()
	if port == 0 {
		t.Fatal("LoginOIDC: call EnableOIDC on the server first")
	}
	ctx, cancel := commandContext(t)
	defer cancel()
	args := append([]string{"login", "-method=oidc"}, extra...)
	args = append(args, "skip_browser=true", "role="+role, "port="+strconv.Itoa(port))
	cmd := exec.CommandContext(ctx, Bin(t), args...)
	cmd.Env = h.Env()
	cmd.Dir = h.Dir
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	stderrPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	urlCh := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(io.TeeReader(stderrPipe, &stderr))
		sent := false
		for sc.Scan() {
			if u := authorizeURL.FindString(sc.Text()); u != "" && !sent {
				urlCh <- u
				sent = true
			}
		}
		if !sent {
			close(urlCh)
		}
		io.Copy(io.Discard, stderrPipe)
	}()

	var browserErr error
	select {
	case u, ok := <-urlCh:
		if ok {
			browserErr = browse(u)
		} else {
			browserErr = fmt.Errorf("the CLI printed no authorize URL")
		}
	case <-time.After(60 * time.Second):
		browserErr = fmt.Errorf("no authorize URL within 60s")
	}
	if browserErr != nil {
		_ = cmd.Process.Kill()
	}
	<-done
	err = cmd.Wait()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			res.Code = ee.ExitCode()
		} else {
			t.Fatalf("vault login -method=oidc: %v", err)
		}
	}
	if browserErr != nil {
		t.Fatalf("OIDC browser step: %v\n%s", browserErr, res)
	}
	return res
}

// browse plays the browser: GET the authorize URL and follow redirects
// through the provider to the CLI's callback.
func browse(u string) error {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("callback answered %s: %s", resp.Status, body)
	}
	return nil
}
