// Package bao holds the end-to-end tests against the real OpenBao: the
// real `bao` CLI (2.6.2, built by `make bao` from internal/baobin),
// configured with our helper in ~/.bao, against a real `bao server -dev`.
// OpenBao has namespaces in its open-source server, so the namespace
// handling is tested here against a real server.
//
// One dev server is shared by the package (started in TestMain, with a
// raw file audit device whose log is the witness of where each token was
// sent); each test has its own HOME, its own display name (its tokens are
// counted by it) and its own namespaces, so the tests run in parallel. A
// test that needs a second server starts its own.
//
// What the real 2.6 cannot show, the 2.1.0-2.5.1 minimal environment
// (only BAO_ADDR and VAULT_ADDR), is in internal/e2e/openbao_test.go,
// with the shim internal/vaulttest/baoexec.
package bao

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// bins are the commands under test, built once for the whole run.
var bins vaulttest.Binaries

// consumer is internal/vaulttest/tfconsumer, built once.
var consumer string

// srv is the shared bao dev server; audit its raw audit log.
var (
	srv   *vaulttest.Server
	audit *vaulttest.Audit
)

func TestMain(m *testing.M) {
	flag.Parse()
	if _, run := vaulttest.Gate("the OpenBao end-to-end tests", vaulttest.BaoBinPath, os.Exit); !run {
		return
	}
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "vth-bao-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins, err = vaulttest.Build(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if consumer, err = vaulttest.BuildCommand(dir, "./internal/vaulttest/tfconsumer"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	bg, err := vaulttest.NewBackground()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer bg.Close()
	if err := bg.Do(func(t vaulttest.T) {
		srv = vaulttest.StartBao(t)
		audit = srv.EnableRawAudit(t)
	}); err != nil {
		fmt.Fprintf(os.Stderr, "start the shared bao dev server: %v\n", err)
		return 1
	}
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "bao server %s log (tail):\n%s\n", srv.Addr, tail(srv.Log(), 30))
	}
	return code
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// unique is a name no other test of this run uses (display names,
// namespaces): prefix and 8 hex digits.
func unique(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// config is the wizard's configuration with a display name of its own and
// extra lines.
func config(displayName string, extra ...string) string {
	return fmt.Sprintf(`periodic_token {
  display_name    = %q
  policies        = ["vault-admin", "sops-admin"]
  period          = "768h"
  required_policy = "vault-admin"
}
`, displayName) + strings.Join(extra, "\n") + "\n"
}

// user is one person of a test: a home whose bao CLI uses our helper
// through ~/.bao, with BAO_ADDR the shared server and a display name of
// its own.
type user struct {
	h    *vaulttest.Home
	name string // as OpenBao shows it: token-<display name>
}

func newUser(t *testing.T, extra ...string) *user {
	t.Helper()
	dn := unique(displayName(t.Name()))
	u := &user{h: vaulttest.NewBaoHome(t, srv, bins.Helper), name: "token-" + dn}
	writeConfig(t, u.h, config(dn, extra...))
	return u
}

// displayName is a test's name as a display name OpenBao keeps as it is:
// lowercase letters, digits and dashes, at most 24 characters.
func displayName(test string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimPrefix(test, "Test")) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if len(s) > 24 {
		s = s[:24]
	}
	return s
}

func writeConfig(t *testing.T, h *vaulttest.Home, content string) {
	t.Helper()
	p := filepath.Join(h.ConfigHome, "vault-token-helper", "config.hcl")
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// live are the accessors of the user's live periodic tokens in namespace
// ns of s.
func (u *user) live(t *testing.T, s *vaulttest.Server, ns string) []string {
	t.Helper()
	var out []string
	for _, tok := range s.TokensIn(t, ns, u.name) {
		out = append(out, tok.Accessor)
	}
	return out
}

// only is the one live periodic token of the user in ns, failing the test
// unless there is exactly one.
func (u *user) only(t *testing.T, s *vaulttest.Server, ns string) string {
	t.Helper()
	live := u.live(t, s, ns)
	if len(live) != 1 {
		t.Fatalf("live %s tokens in namespace %q of %s = %v, want exactly one", u.name, ns, s.Addr, live)
	}
	return live[0]
}

// lookup runs `bao token lookup -format=json ARGS...` and returns its
// accessor and namespace_path, failing the test when it fails.
func lookup(t *testing.T, h *vaulttest.Home, args ...string) (accessor, nsPath string) {
	t.Helper()
	res := h.Bao(t, append([]string{"token", "lookup", "-format=json"}, args...)...)
	if res.Code != 0 {
		t.Fatalf("bao token lookup %s: %s", strings.Join(args, " "), res)
	}
	var out struct {
		Data struct {
			Accessor      string `json:"accessor"`
			NamespacePath string `json:"namespace_path"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
		t.Fatalf("bao token lookup %s: decode: %v\n%s", strings.Join(args, " "), err, res)
	}
	return out.Data.Accessor, out.Data.NamespacePath
}

// helper runs one of our commands in h (the caller is then unknown: the
// environment decides).
func helper(t *testing.T, h *vaulttest.Home, bin string, args ...string) vaulttest.Result {
	t.Helper()
	return h.Run(t, "", bin, args...)
}

// get is `vault-token-helper get` run by hand in h.
func get(t *testing.T, h *vaulttest.Home) string {
	t.Helper()
	res := h.Run(t, "", bins.Helper, "get")
	if res.Code != 0 {
		t.Fatalf("vault-token-helper get: %s", res)
	}
	return res.Stdout
}

// logText is the helper's log file in h.
func logText(t *testing.T, h *vaulttest.Home) string {
	t.Helper()
	return readFile(t, filepath.Join(h.StateHome, "vault-token-helper", "vault-token-helper.log"))
}

// logHas reports whether a line of the helper's log has msg=event and
// names accessor.
func logHas(t *testing.T, h *vaulttest.Home, event, accessor string) bool {
	t.Helper()
	for _, l := range strings.Split(logText(t, h), "\n") {
		if strings.Contains(l, " msg="+event) && strings.Contains(l, accessor) {
			return true
		}
	}
	return false
}

func mustExit(t *testing.T, what string, res vaulttest.Result, want int) {
	t.Helper()
	if res.Code != want {
		t.Fatalf("%s: got exit %d, want %d\n%s", what, res.Code, want, res)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
