// Package vaulttest runs a real `vault server -dev` and the real `vault`
// CLI for the end-to-end tests of vault-token-helper.
//
// Contract:
//   - The Vault binary is $VAULT_BIN, or else the one `make vault` caches
//     at ${XDG_CACHE_HOME:-$HOME/.cache}/vault-token-helper/vault-<Version>.
//     A missing binary fails the test (it never skips).
//   - Every Server listens on its own free 127.0.0.1 port, is configured
//     with the fixtures below, and is stopped in t.Cleanup; when the test
//     failed, the tail of its log is printed.
//   - Every Home is a fresh HOME with its own XDG directories and
//     VAULT_CONFIG_PATH, so no test touches the real ~/.vault-token or
//     ~/.vault. Commands run with a minimal environment, never the
//     caller's VAULT_* variables.
//   - OIDC logins use a free callback port per Server (the CLI's port=
//     option), so tests never bind the CLI's fixed default port 8250.
//
// Fixtures on every Server: policies vault-admin (every capability,
// sudo included, on every path), sops-admin and read-only; userpass users
// admin (vault-admin, sops-admin; token_max_ttl 168h), weak (default only)
// and reader (read-only), each with password Password.
package vaulttest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/vault/api"
)

// T is what the harness needs of a test: *testing.T satisfies it, and so
// does the demo's driver, which runs the same story outside `go test`.
type T interface {
	Helper()
	Cleanup(func())
	TempDir() string
	Failed() bool
	Fatal(args ...any)
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// Version is the Vault version the tests run against.
const Version = "1.21.0"

// newRootToken returns a root token id unique to one server, so that a
// test can tell its own server from another that took the same port.
func newRootToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return "root-" + hex.EncodeToString(b)
}

// Password is the password of every userpass fixture user.
const Password = "correct-horse-battery"

// Bin returns the path of the vault binary, failing the test when there
// is none.
func Bin(t T) string {
	t.Helper()
	return mustBin(t, BinPath)
}

// mustBin is the path path finds, failing the test when there is none.
func mustBin(t T, path func() (string, error)) string {
	t.Helper()
	p, err := path()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// BinPath returns the path of the vault binary or an error saying how to
// get one.
func BinPath() (string, error) { return cachedBin("vault", "VAULT_BIN", Version) }

// cachedBin is the test binary of a server: $ENV, else the one `make
// NAME` caches by version in $XDG_CACHE_HOME/vault-token-helper.
func cachedBin(name, env, version string) (string, error) {
	p := os.Getenv(env)
	if p == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("find the %s binary: %w", name, err)
			}
			cache = filepath.Join(home, ".cache")
		}
		p = filepath.Join(cache, "vault-token-helper", name+"-"+version)
	}
	fi, err := os.Stat(p)
	if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%s binary %q not found or not executable: run `make %s` (or set %s)", name, p, name, env)
	}
	return p, nil
}

// Server is a running dev Vault.
type Server struct {
	Addr      string // http://127.0.0.1:PORT (https:// for StartTLS)
	RootToken string
	CACert    string // the CA of a StartTLS server, for VAULT_CACERT

	bin     string
	kind    string // "vault" or "bao"
	cmd     *exec.Cmd
	log     *syncBuffer
	oidcCB  int // OIDC callback port for the CLI, once EnableOIDC ran
	oidcMu  sync.Mutex
	stopped bool
}

// Start runs a dev server on a free port, waits until it is healthy,
// sets up the fixtures and stops it when the test ends.
func Start(t T) *Server {
	t.Helper()
	return startDev(t, false, "127.0.0.1", 0)
}

// StartAt is Start on host (an IPv4 loopback address: on Linux all of
// 127.0.0.0/8 reaches lo) and port (0: a free one), for tests of two
// servers on one port at two loopback addresses. The dev server's cluster
// listener takes port+1 on the same host.
func StartAt(t T, host string, port int) *Server {
	t.Helper()
	return startDev(t, false, host, port)
}

// startDev starts a dev server (with withTLS, serving HTTPS) on host and
// port (0: a free one), trying three times, sets up the fixtures and
// stops it when the test ends.
func startDev(t T, withTLS bool, host string, port int) *Server {
	t.Helper()
	if skipShort(t) {
		return nil
	}
	return startDevOf(t, devKind{bin: Bin(t), name: "vault"}, withTLS, host, port)
}

// devKind is which server binary a dev server runs: vault, or bao
// (bao.go), with the arguments and environment it adds.
type devKind struct {
	bin  string
	name string // "vault" or "bao", for messages
	// extra returns more arguments and environment for a server whose
	// temporary directory is home.
	extra func(home string) (args, env []string, err error)
}

// startDevOf is startDev for a kind of server.
func startDevOf(t T, k devKind, withTLS bool, host string, port int) *Server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(t, k, withTLS, host, port)
		if err == nil {
			s.setup(t)
			return s
		}
		lastErr = err
	}
	what := "start " + k.name + " dev server"
	if withTLS {
		what += " with TLS"
	}
	t.Fatalf("%s: %v", what, lastErr)
	return nil
}

// skipShort skips a test in -short mode: it needs a Vault server.
func skipShort(t T) bool {
	if testing.Testing() && testing.Short() {
		if sk, ok := t.(interface{ Skip(...any) }); ok {
			sk.Skip("end-to-end test: needs a Vault server; run without -short")
			return true
		}
	}
	return false
}

// start runs one dev server; with withTLS, it serves HTTPS with a
// certificate of its own CA (-dev-tls), whose file is s.CACert.
func start(t T, k devKind, withTLS bool, host string, port int) (*Server, error) {
	bin := k.bin
	if port == 0 {
		var err error
		if port, err = FreePort(); err != nil {
			return nil, err
		}
	}
	listen := net.JoinHostPort(host, strconv.Itoa(port))
	home := t.TempDir()
	s := &Server{
		Addr:      "http://" + listen,
		RootToken: newRootToken(),
		bin:       bin,
		kind:      k.name,
		log:       &syncBuffer{},
	}
	args := []string{"server", "-dev",
		"-dev-root-token-id=" + s.RootToken,
		"-dev-listen-address=" + listen,
		"-dev-no-store-token",
	}
	if withTLS {
		certDir := filepath.Join(home, "tls")
		if err := os.Mkdir(certDir, 0o700); err != nil {
			return nil, err
		}
		s.Addr = "https://" + listen
		s.CACert = filepath.Join(certDir, "vault-ca.pem")
		args = append(args, "-dev-tls", "-dev-tls-cert-dir="+certDir)
	}
	// An empty VAULT_CONFIG_PATH: a config naming a token helper would
	// be handed the root token.
	emptyCfg := filepath.Join(home, "empty.hcl")
	if err := os.WriteFile(emptyCfg, nil, 0o600); err != nil {
		return nil, err
	}
	env := []string{"HOME=" + home, "PATH=/usr/bin:/bin", "VAULT_LOG_LEVEL=info", "VAULT_CONFIG_PATH=" + emptyCfg}
	if k.extra != nil {
		moreArgs, moreEnv, err := k.extra(home)
		if err != nil {
			return nil, err
		}
		args, env = append(args, moreArgs...), append(env, moreEnv...)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env = env
	s.cmd.Stdout = s.log
	s.cmd.Stderr = s.log
	s.cmd.SysProcAttr = serverProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- s.cmd.Wait() }()
	t.Cleanup(func() { s.stop(t, exited) })

	if err := s.waitHealthy(exited); err != nil {
		return nil, err
	}
	return s, nil
}

// waitHealthy polls the starting server until it answers as healthy and
// knows our root token, or it exits, or PollLimit passes (a give-up time
// for a busy machine, not a measure).
func (s *Server) waitHealthy(exited chan error) error {
	var ready error
	ok := poll(PollLimit, time.Sleep, time.Now, func() bool {
		select {
		case err := <-exited:
			exited <- err
			ready = fmt.Errorf("%s server exited early (%v):\n%s", s.kind, err, s.log.Tail(40))
			return true
		default:
		}
		// With -dev-tls, the CA file appears once the server listens.
		client, err := s.httpClient(2 * time.Second)
		var resp *http.Response
		if err == nil {
			resp, err = client.Get(s.Addr + "/v1/sys/health")
		}
		if err != nil {
			return false
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false
		}
		// Healthy, but is it ours? Another test's server may have
		// taken the port first; only ours knows our root token.
		c, err := s.newClient(s.RootToken)
		if err == nil {
			_, err = c.Auth().Token().LookupSelf()
		}
		if err != nil {
			_ = s.cmd.Process.Kill()
			ready = fmt.Errorf("port of %s answered, but not as our server: %v", s.Addr, err)
		}
		return true
	})
	if !ok {
		return fmt.Errorf("%s server at %s not healthy after %s:\n%s", s.kind, s.Addr, PollLimit, s.log.Tail(40))
	}
	return ready
}

func (s *Server) stop(t T, exited chan error) {
	if s.cmd.Process == nil || s.stopped {
		return
	}
	s.stopped = true
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	if t.Failed() {
		t.Logf("%s server %s log (tail):\n%s", s.kind, s.Addr, s.log.Tail(25))
	}
}

// Log returns the server's log so far.
func (s *Server) Log() string { return s.log.String() }

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Client returns an API client for the server authenticated with token.
// It ignores the caller's VAULT_* environment.
func (s *Server) Client(t T, token string) *api.Client {
	t.Helper()
	c, err := s.newClient(token)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// NewClient returns an API client for addr with token and no retries.
func NewClient(addr, token string) (*api.Client, error) {
	cfg := &api.Config{Address: addr, MaxRetries: 0, Timeout: 30 * time.Second}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.SetToken(token)
	c.SetNamespace("")
	return c, nil
}

// Root returns a client with the root token.
func (s *Server) Root(t T) *api.Client { return s.Client(t, s.RootToken) }

// Policies of the fixtures.
const (
	AdminPolicy    = "vault-admin"
	SopsPolicy     = "sops-admin"
	ReadOnlyPolicy = "read-only"
)

var fixturePolicies = map[string]string{
	AdminPolicy: `path "*" { capabilities = ["create", "read", "update", "patch", "delete", "list", "sudo"] }`,
	SopsPolicy: `path "transit/encrypt/sops-*" { capabilities = ["update"] }
path "transit/decrypt/sops-*" { capabilities = ["update"] }`,
	ReadOnlyPolicy: `path "*" { capabilities = ["read", "list"] }`,
}

func (s *Server) setup(t T) {
	t.Helper()
	s.setupWith(t, s.Root(t))
}

// setupWith creates the fixtures with root, a root client (of one
// namespace, on OpenBao).
func (s *Server) setupWith(t T, root *api.Client) {
	t.Helper()
	for name, rules := range fixturePolicies {
		if err := root.Sys().PutPolicy(name, rules); err != nil {
			t.Fatalf("put policy %s: %v", name, err)
		}
	}
	if err := root.Sys().EnableAuthWithOptions("userpass", &api.EnableAuthOptions{Type: "userpass"}); err != nil {
		t.Fatalf("enable userpass: %v", err)
	}
	users := map[string]map[string]any{
		"admin":  {"token_policies": AdminPolicy + "," + SopsPolicy, "token_max_ttl": "168h"},
		"weak":   {"token_policies": "default", "token_max_ttl": "168h"},
		"reader": {"token_policies": ReadOnlyPolicy, "token_max_ttl": "168h"},
	}
	for name, data := range users {
		data["password"] = Password
		if _, err := root.Logical().Write("auth/userpass/users/"+name, data); err != nil {
			t.Fatalf("create userpass user %s: %v", name, err)
		}
	}
}
