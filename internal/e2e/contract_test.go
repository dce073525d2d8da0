package e2e

import (
	"strings"
	"testing"

	"github.com/hashicorp/vault/api/tokenhelper"
)

var _ tokenhelper.TokenHelper = (*tokenhelper.ExternalTokenHelper)(nil)

// The token helper protocol, driven by the Vault CLI's own client code
// (vault/api's ExternalTokenHelper) against our binary: store, get,
// erase, with our semantics (a store keeps the periodic token, not the
// login token).
func TestTokenHelperContract(t *testing.T) {
	t.Parallel()
	s, h := world(t, wizardConfig)
	th := &tokenhelper.ExternalTokenHelper{BinaryPath: bins.Helper, Env: h.Env()}

	if v, err := th.Get(); err != nil || v != "" {
		t.Fatalf("Get on an empty store = %q, %v; want \"\", nil", v, err)
	}
	if err := th.Store("not-a-token"); err == nil {
		t.Fatal("Store of a token Vault does not know succeeded")
	}
	if v, _ := th.Get(); v != "" {
		t.Fatalf("a failed Store left a token")
	}

	login := s.Login(t, "admin")
	if err := th.Store(login); err != nil {
		t.Fatalf("Store(admin login): %v", err)
	}
	periodic, err := th.Get()
	if err != nil {
		t.Fatal(err)
	}
	if periodic == login {
		t.Fatal("Get returned the login token; want the minted periodic token")
	}
	info, err := s.LookupToken(t, periodic)
	if err != nil || info.DisplayName != wizard || info.Period == 0 || !info.Orphan {
		t.Fatalf("Get returned %+v (%v), want an orphan periodic %s", info, err, wizard)
	}

	if err := th.Store(periodic); err != nil {
		t.Fatalf("Store of the stored periodic token: %v", err)
	}
	if v, _ := th.Get(); v != periodic {
		t.Fatalf("re-storing the periodic token changed it")
	}
	err = th.Store(s.Login(t, "weak"))
	if err == nil || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Store(weak) = %v, want a refusal", err)
	}
	if v, _ := th.Get(); v != periodic {
		t.Fatalf("a refused Store changed the token")
	}

	if err := th.Erase(); err != nil {
		t.Fatalf("Erase: %v", err)
	}
	if v, err := th.Get(); err != nil || v != "" {
		t.Fatalf("Get after Erase = %q, %v; want \"\", nil", v, err)
	}
	if _, err := s.LookupToken(t, periodic); err == nil {
		t.Error("the erased periodic token still works")
	}
	if err := th.Erase(); err != nil {
		t.Fatalf("Erase of nothing: %v", err)
	}
}
