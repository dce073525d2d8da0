package bao

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// The Vault CLI's namespace flags against OpenBao, the only real server
// here with namespaces (Vault has them only in Enterprise): what matters
// is the server side, the keying by namespace and the namespace header
// on every call the helper makes. `vault login -namespace` mints in the
// namespace, `-namespace`, `-ns` and VAULT_NAMESPACE select the token,
// renew renews each in its namespace, and the audit log shows every
// request carrying a namespaced token went to its namespace.
func TestVaultCLINamespacesOnOpenBao(t *testing.T) {
	t.Parallel()
	vault := vaulttest.Need(t, vaulttest.BinPath)
	ns := unique("vteam")
	srv.CreateNamespace(t, ns)
	dn := unique("vaultcli")
	h := vaulttest.NewHome(t, srv, bins.Helper) // ~/.vault, VAULT_ADDR
	writeConfig(t, h, config(dn))
	u := &user{h: h, name: "token-" + dn}
	login := func(extra ...string) vaulttest.Result {
		t.Helper()
		args := append([]string{"login"}, extra...)
		return h.Run(t, "", vault, append(args, "-method=userpass", "username=admin", "password="+vaulttest.Password)...)
	}
	lookupV := func(args ...string) string {
		t.Helper()
		res := h.Run(t, "", vault, append([]string{"token", "lookup", "-format=json"}, args...)...)
		if res.Code != 0 {
			t.Fatalf("vault token lookup %s: %s", strings.Join(args, " "), res)
		}
		var out struct {
			Data struct {
				Accessor string `json:"accessor"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(res.Stdout), &out); err != nil {
			t.Fatalf("vault token lookup: %v\n%s", err, res)
		}
		return out.Data.Accessor
	}

	mustExit(t, "vault login -namespace", login("-namespace="+ns), 0)
	accNS := u.only(t, srv, ns)
	if live := u.live(t, srv, ""); len(live) != 0 {
		t.Fatalf("vault login -namespace=%s minted in the root namespace: %v", ns, live)
	}
	mustExit(t, "vault login (root namespace)", login(), 0)
	accRoot := u.only(t, srv, "")

	if got := lookupV("-namespace=" + ns); got != accNS {
		t.Errorf("vault token lookup -namespace: accessor %s, want %s", got, accNS)
	}
	if got := lookupV("-ns=" + ns); got != accNS {
		t.Errorf("vault token lookup -ns: accessor %s, want %s", got, accNS)
	}
	h.Setenv("VAULT_NAMESPACE", ns)
	if got := lookupV(); got != accNS {
		t.Errorf("VAULT_NAMESPACE vault token lookup: accessor %s, want %s", got, accNS)
	}
	tokNS := get(t, h)
	h.Unsetenv("VAULT_NAMESPACE")
	if got := lookupV(); got != accRoot {
		t.Errorf("vault token lookup: accessor %s, want the root namespace's %s", got, accRoot)
	}
	tokRoot := get(t, h)

	res := helper(t, h, bins.Renew)
	if n := strings.Count(res.Stdout, "OK renewed"); n != 2 {
		t.Errorf("vault-token-renew: %d OK renewed lines, want 2\n%s", n, res)
	}
	assertOwnNamespace(t, audit, map[string]string{tokNS: ns + "/", tokRoot: ""})
}
