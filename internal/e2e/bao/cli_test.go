package bao

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// setup --cli bao writes token_helper into the file the bao CLI reads
// (~/.bao, or BAO_CONFIG_PATH), never ~/.vault; bao login then mints and
// commands get the periodic token through the installed helper; setup
// --uninstall takes the item out again and leaves the periodic token in
// ~/.vault-token, where bao's built-in helper finds it.
func TestBaoSetupAndUninstall(t *testing.T) {
	t.Parallel()
	for _, withEnv := range []bool{false, true} {
		name := "~/.bao"
		if withEnv {
			name = "BAO_CONFIG_PATH"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u := newUser(t)
			h := u.h
			if err := os.Remove(h.BaoCfg()); err != nil { // newUser named the helper there
				t.Fatal(err)
			}
			cfg := h.BaoCfg()
			if withEnv {
				cfg = filepath.Join(h.Dir, "etc", "bao.hcl")
				if err := os.MkdirAll(filepath.Dir(cfg), 0o700); err != nil {
					t.Fatal(err)
				}
				h.Setenv("BAO_CONFIG_PATH", cfg)
			}
			prefix := filepath.Join(filepath.Dir(h.Dir), "opt")
			res := helper(t, h, bins.Helper, "setup", "--prefix", prefix, "--cli", "bao", "--scheduler", "none")
			mustExit(t, "setup --cli bao", res, 0)
			installed := filepath.Join(prefix, "bin", "vault-token-helper")
			if got, want := readFile(t, cfg), `token_helper = "`+installed+`"`; !strings.Contains(got, want) {
				t.Fatalf("%s after setup = %q, want it to hold %s", cfg, got, want)
			}
			for _, p := range []string{h.VaultCfg, filepath.Join(h.Dir, ".bao")} {
				if p == cfg {
					continue
				}
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("setup --cli bao wrote %s (%v), want only %s", p, err, cfg)
				}
			}

			mustExit(t, "bao login as admin", h.BaoLoginUserpass(t, "admin"), 0)
			periodic := u.only(t, srv, "")
			if acc, _ := lookup(t, h); acc != periodic {
				t.Errorf("bao token lookup after the login: accessor %s, want the periodic %s", acc, periodic)
			}

			res = helper(t, h, filepath.Join(prefix, "bin", "vault-token-helper"), "setup", "--prefix", prefix, "--cli", "bao", "--scheduler", "none", "--uninstall")
			mustExit(t, "setup --uninstall --cli bao", res, 0)
			// setup created cfg, so uninstall removes it (byte-exact: what
			// was there before is what is there after).
			if _, err := os.Stat(cfg); !os.IsNotExist(err) {
				t.Errorf("%s after --uninstall: %v, want it removed (setup created it)", cfg, err)
			}
			// bao's built-in helper reads ~/.vault-token: the periodic token.
			if acc, _ := lookup(t, h); acc != periodic {
				t.Errorf("bao token lookup after --uninstall: accessor %s, want the periodic %s", acc, periodic)
			}
			if _, err := os.Stat(installed); !os.IsNotExist(err) {
				t.Errorf("the installed helper is still there after --uninstall (%v)", err)
			}
		})
	}
}

// The story of one bao user: an admin login mints, a second one keeps the
// periodic token, a weak login is refused with what to run under bao, and
// rotate replaces the token the CLI gets.
func TestBaoMintKeepRefuseRotate(t *testing.T) {
	t.Parallel()
	u := newUser(t)
	h := u.h

	mustExit(t, "bao login as admin", h.BaoLoginUserpass(t, "admin"), 0)
	first := u.only(t, srv, "")
	if acc, _ := lookup(t, h); acc != first {
		t.Fatalf("bao token lookup: accessor %s, want the periodic %s", acc, first)
	}

	res := h.BaoLoginUserpass(t, "admin")
	mustExit(t, "second bao login as admin", res, 0)
	// bao shows the helper's stderr only when it fails: the log says it.
	if !logHas(t, h, "KEPT", first) {
		t.Errorf("second admin login: the log has no KEPT line naming %s:\n%s", first, logText(t, h))
	}
	if got := u.only(t, srv, ""); got != first {
		t.Errorf("after the second admin login the periodic token is %s, want %s kept", got, first)
	}

	res = h.BaoLoginUserpass(t, "weak")
	mustExit(t, "bao login as weak", res, 2)
	for _, want := range []string{"refused", "cannot mint", "keeping periodic token " + u.name, first, "`bao login -no-store`", "BAO_TOKEN"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, res.Stderr)
		}
	}
	if strings.Contains(res.Stderr, "vault login") || strings.Contains(res.Stderr, "VAULT_TOKEN") {
		t.Errorf("the refusal under bao names the vault CLI:\n%s", res.Stderr)
	}
	if acc, _ := lookup(t, h); acc != first {
		t.Errorf("after the refusal bao token lookup has accessor %s, want the periodic %s", acc, first)
	}

	res = helper(t, h, bins.Helper, "rotate")
	mustExit(t, "vault-token-helper rotate", res, 0)
	live := u.live(t, srv, "")
	if len(live) != 2 {
		t.Fatalf("after rotate live periodic tokens = %v, want the new one and the old one (in its grace)", live)
	}
	second, _ := lookup(t, h)
	if second == first || (second != live[0] && second != live[1]) {
		t.Errorf("after rotate bao token lookup has accessor %s, want the new periodic token (old %s, live %v)", second, first, live)
	}
}

// `bao login -address=B` mints and keeps B's periodic token; bao passes
// the flag to the helper as BAO_ADDR (and VAULT_ADDR), so commands with
// -address=B get B's token and commands for A get A's, through either
// shell, and neither token ever reaches the other server.
func TestBaoAddressFlag(t *testing.T) {
	t.Parallel()
	b := vaulttest.StartBao(t)
	auditB := b.EnableRawAudit(t)
	u := newUser(t)
	h := u.h

	mustExit(t, "bao login on A", h.BaoLoginUserpass(t, "admin"), 0)
	mustExit(t, "bao login -address=B", h.BaoLoginUserpass(t, "admin", "-address="+b.Addr), 0)
	accA, accB := u.only(t, srv, ""), u.only(t, b, "")

	for _, shell := range []string{"/bin/sh", "/bin/bash"} {
		h.Setenv("SHELL", shell)
		if acc, _ := lookup(t, h, "-address="+b.Addr); acc != accB {
			t.Errorf("SHELL=%s, bao token lookup -address=B: accessor %s, want B's periodic %s", shell, acc, accB)
		}
		if acc, _ := lookup(t, h); acc != accA {
			t.Errorf("SHELL=%s, bao token lookup (BAO_ADDR=A): accessor %s, want A's periodic %s", shell, acc, accA)
		}
		h.Setenv("BAO_ADDR", b.Addr)
		if acc, _ := lookup(t, h, "-address="+srv.Addr); acc != accA {
			t.Errorf("SHELL=%s, BAO_ADDR=B bao token lookup -address=A: accessor %s, want A's periodic %s", shell, acc, accA)
		}
		h.Setenv("BAO_ADDR", srv.Addr)
	}

	h.Setenv("BAO_ADDR", b.Addr)
	tokB := get(t, h)
	h.Setenv("BAO_ADDR", srv.Addr)
	tokA := get(t, h)
	if tokA == "" || tokB == "" || tokA == tokB {
		t.Fatalf("get for A and for B: want two different tokens")
	}
	if audit.Contains(t, tokB) {
		t.Errorf("A's audit log holds B's token")
	}
	if auditB.Contains(t, tokA) {
		t.Errorf("B's audit log holds A's token")
	}
}

// BAO_TOKEN_PATH (OpenBao 2.6) names the file of bao's built-in helper.
// With our helper configured, the bao CLI does not read it, and the
// helper's mirror stays ~/.vault-token (what sops, consul-template and
// the agent read): nothing is written to BAO_TOKEN_PATH. After
// uninstall, bao's built-in helper reads BAO_TOKEN_PATH, not
// ~/.vault-token, so uninstall writes the periodic token to both.
func TestBaoTokenPath(t *testing.T) {
	t.Parallel()
	u := newUser(t, `mirror_address = "`+srv.Addr+`"`)
	h := u.h
	path := filepath.Join(h.Dir, "bao-token")
	h.Setenv("BAO_TOKEN_PATH", path)
	prefix := install(t, h)

	mustExit(t, "bao login as admin", h.BaoLoginUserpass(t, "admin"), 0)
	periodic := u.only(t, srv, "")
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("BAO_TOKEN_PATH %s exists after the login (%v); want nothing written there", path, err)
	}
	tok := get(t, h)
	if got := readFile(t, h.TokenFile()); got != tok {
		t.Errorf("~/.vault-token does not mirror the periodic token")
	}

	// A token in the BAO_TOKEN_PATH file changes nothing while the helper
	// is configured.
	other := srv.Login(t, "reader")
	if err := os.WriteFile(path, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	if acc, _ := lookup(t, h); acc != periodic {
		t.Errorf("with a token in BAO_TOKEN_PATH, bao token lookup has accessor %s, want the periodic %s", acc, periodic)
	}

	// Uninstall: the CLI's built-in helper now reads BAO_TOKEN_PATH, which
	// uninstall wrote the periodic token to, over the reader's token.
	mustExit(t, "setup --uninstall", helper(t, h, filepath.Join(prefix, "bin", "vault-token-helper"), "setup", "--prefix", prefix, "--cli", "bao", "--scheduler", "none", "--uninstall"), 0)
	if got := readFile(t, h.TokenFile()); got != tok {
		t.Errorf("~/.vault-token after --uninstall does not hold the periodic token")
	}
	if got := readFile(t, path); got != tok {
		t.Errorf("BAO_TOKEN_PATH after --uninstall does not hold the periodic token")
	}
	if acc, _ := lookup(t, h); acc != periodic {
		t.Errorf("after --uninstall with BAO_TOKEN_PATH set, bao token lookup has accessor %s, want the periodic %s", acc, periodic)
	}
	h.Unsetenv("BAO_TOKEN_PATH")
	if acc, _ := lookup(t, h); acc != periodic {
		t.Errorf("after --uninstall without BAO_TOKEN_PATH, bao token lookup has accessor %s, want the periodic %s", acc, periodic)
	}
}

// install replaces the ~/.bao that newUser wrote with a real `setup --cli
// bao` (no scheduler) into a prefix outside HOME, which it returns.
func install(t *testing.T, h *vaulttest.Home) string {
	t.Helper()
	if err := os.Remove(h.BaoCfg()); err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(filepath.Dir(h.Dir), "opt")
	mustExit(t, "setup --cli bao", helper(t, h, bins.Helper, "setup", "--prefix", prefix, "--cli", "bao", "--scheduler", "none"), 0)
	return prefix
}
