package vaulttest

// OpenBao: a real `bao server -dev` and the real `bao` CLI, built by
// `make bao` from internal/baobin.
//
// Contract, beside the package's:
//   - The bao binary is $BAO_BIN, or else the one `make bao` caches at
//     ${XDG_CACHE_HOME:-$HOME/.cache}/vault-token-helper/bao-<BaoVersion>.
//     A missing binary fails the test; an end-to-end package gates on
//     BaoBinPath with Gate (or one test with Need), as for Vault.
//   - StartBao serves the same fixtures as Start; OpenBao's dev server
//     refuses audit devices created through the API unless its config
//     says unsafe_allow_api_audit_creation, which StartBao's does, so
//     EnableRawAudit works on it.
//   - OpenBao has namespaces in its open-source server: CreateNamespace
//     makes one with the same fixtures inside (policies, userpass users),
//     so that a login in it works as in the root namespace.
//   - A BaoHome is a Home whose CLI is bao: its config is ~/.bao (no
//     VAULT_CONFIG_PATH, no BAO_CONFIG_PATH unless the test sets one) and
//     the server's address is BAO_ADDR (not VAULT_ADDR).

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/hashicorp/vault/api"
)

// BaoVersion is the OpenBao version the tests run against.
const BaoVersion = "2.6.2"

// BaoBinPath returns the path of the bao binary or an error saying how to
// get one.
func BaoBinPath() (string, error) { return cachedBin("bao", "BAO_BIN", BaoVersion) }

// BaoBin returns the path of the bao binary, failing the test when there
// is none.
func BaoBin(t T) string {
	t.Helper()
	return mustBin(t, BaoBinPath)
}

// StartBao runs `bao server -dev` on a free port with the fixtures, and
// stops it when t ends (for a whole package: a Background).
func StartBao(t T) *Server {
	t.Helper()
	if skipShort(t) {
		return nil
	}
	return startDevOf(t, devKind{bin: BaoBin(t), name: "bao", extra: baoExtra}, false, "127.0.0.1", 0)
}

// baoExtra is what a bao dev server needs beside vault's arguments: a
// config that allows EnableRawAudit, and BAO_CONFIG_PATH empty as
// VAULT_CONFIG_PATH is.
func baoExtra(home string) (args, env []string, err error) {
	cfg := filepath.Join(home, "bao-server.hcl")
	if err := os.WriteFile(cfg, []byte("unsafe_allow_api_audit_creation = true\n"), 0o600); err != nil {
		return nil, nil, err
	}
	empty := filepath.Join(home, "empty.hcl")
	return []string{"-config=" + cfg}, []string{"BAO_CONFIG_PATH=" + empty, "BAO_LOG_LEVEL=info"}, nil
}

// NamespaceClient is Client in namespace ns ("" is the root namespace).
func (s *Server) NamespaceClient(t T, ns, token string) *api.Client {
	t.Helper()
	c := s.Client(t, token)
	c.SetNamespace(ns)
	return c
}

// CreateNamespace creates namespace ns as root, with the fixtures of the
// root namespace inside it (policies, userpass users admin, weak and
// reader).
func (s *Server) CreateNamespace(t T, ns string) {
	t.Helper()
	if _, err := s.Root(t).Logical().Write("sys/namespaces/"+ns, nil); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	s.setupWith(t, s.NamespaceClient(t, ns, s.RootToken))
}

// LoginIn is Login in namespace ns.
func (s *Server) LoginIn(t T, ns, user string) string {
	t.Helper()
	sec, err := s.NamespaceClient(t, ns, "").Logical().Write("auth/userpass/login/"+user, map[string]any{"password": Password})
	if err != nil {
		t.Fatalf("userpass login %s in namespace %q: %v", user, ns, err)
	}
	return sec.Auth.ClientToken
}

// TokensIn is Tokens in namespace ns: the live tokens created there with
// the display name (a namespace's accessors are listed in it).
func (s *Server) TokensIn(t T, ns, displayName string) []Token {
	t.Helper()
	all, err := liveTokens(s.NamespaceClient(t, ns, s.RootToken))
	if err != nil {
		t.Fatalf("tokens in namespace %q: %v", ns, err)
	}
	return named(all, displayName)
}

// NamespaceOf is the namespace_path a token sees of itself ("" for the
// root namespace, "team/" for team), looked up in namespace ns, where
// a token of ns and of its children is valid.
func (s *Server) NamespaceOf(t T, ns, token string) (string, error) {
	t.Helper()
	sec, err := s.NamespaceClient(t, ns, token).Auth().Token().LookupSelf()
	if err != nil {
		return "", err
	}
	p, _ := sec.Data["namespace_path"].(string)
	return p, nil
}

// BaoCfg is ~/.bao, the file the bao CLI reads when neither
// BAO_CONFIG_PATH nor VAULT_CONFIG_PATH is set.
func (h *Home) BaoCfg() string { return filepath.Join(h.Dir, ".bao") }

// NewBaoHome is NewHome for the bao CLI: the server's address is BAO_ADDR
// (VAULT_ADDR unset), VAULT_CONFIG_PATH is unset, so that bao reads
// ~/.bao, and with helper set ~/.bao names it.
func NewBaoHome(t T, s *Server, helper string) *Home {
	t.Helper()
	h := NewHome(t, s, "")
	h.Unsetenv("VAULT_CONFIG_PATH")
	h.Unsetenv("VAULT_ADDR")
	if s != nil {
		h.Setenv("BAO_ADDR", s.Addr)
	}
	if helper != "" {
		h.UseBaoHelper(t, helper)
	}
	return h
}

// UseBaoHelper points token_helper in ~/.bao at the given binary.
func (h *Home) UseBaoHelper(t T, helper string) {
	t.Helper()
	abs, err := filepath.Abs(helper)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.BaoCfg(), []byte(fmt.Sprintf("token_helper = %q\n", abs)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// Bao runs the real bao CLI in this home.
func (h *Home) Bao(t T, args ...string) Result {
	t.Helper()
	return h.Run(t, "", BaoBin(t), args...)
}

// BaoLoginUserpass runs `bao login -method=userpass` through the CLI;
// extra goes before the method's key=value pairs (-namespace=team...).
func (h *Home) BaoLoginUserpass(t T, user string, extra ...string) Result {
	t.Helper()
	args := append([]string{"login"}, extra...)
	args = append(args, "-method=userpass", "username="+user, "password="+Password)
	return h.Bao(t, args...)
}

// BuildCommand builds the command of package pkg (relative to the
// module root, "./internal/vaulttest/tfconsumer") into dir, named as the
// package's last element, and returns its path.
func BuildCommand(dir, pkg string) (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return out, nil
}

// AuditRequest is one request entry of a raw audit log: the token it
// carried and the namespace it was sent to.
type AuditRequest struct {
	ClientToken string
	Namespace   string // the namespace path, "" for the root namespace, "team/"
	Path        string
}

// Requests are the request entries of the audit log so far.
func (a *Audit) Requests(t T) []AuditRequest {
	t.Helper()
	var out []AuditRequest
	for _, line := range strings.Split(a.Text(t), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var e struct {
			Type    string `json:"type"`
			Request struct {
				ClientToken string `json:"client_token"`
				Path        string `json:"path"`
				Namespace   struct {
					Path string `json:"path"`
				} `json:"namespace"`
			} `json:"request"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("audit log: decode a line: %v", err)
		}
		if e.Type != "request" {
			continue
		}
		out = append(out, AuditRequest{ClientToken: e.Request.ClientToken, Namespace: e.Request.Namespace.Path, Path: e.Request.Path})
	}
	return out
}
