// Command demo plays the vault-token-helper story end to end with the
// real Vault CLI against a local dev Vault and a mock OIDC provider, in a
// temporary HOME, and prints each step. It needs no Vault of your own and
// cleans up after itself. Run it with `make demo`.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/internal/vaulttest"
)

// driver lets the test harness run outside `go test`: a fatal error ends
// the story, and the cleanups (servers, temporary files) always run.
type driver struct {
	root     string
	cleanups []func()
	failed   bool
}

func (d *driver) Helper()          {}
func (d *driver) Cleanup(f func()) { d.cleanups = append(d.cleanups, f) }
func (d *driver) Failed() bool     { return d.failed }
func (d *driver) TempDir() string {
	dir, err := os.MkdirTemp(d.root, "t")
	if err != nil {
		d.Fatal(err)
	}
	return dir
}
func (d *driver) Fatal(args ...any) {
	d.failed = true
	fmt.Fprintln(os.Stderr, append([]any{"demo failed:"}, args...)...)
	runtime.Goexit()
}
func (d *driver) Fatalf(format string, args ...any) { d.Fatal(fmt.Sprintf(format, args...)) }
func (d *driver) Logf(format string, args ...any)   { fmt.Fprintf(os.Stderr, format+"\n", args...) }

func main() {
	helperBin := flag.String("helper", "", "vault-token-helper binary (default: build it)")
	renewBin := flag.String("renew", "", "vault-token-renew binary (default: build it)")
	flag.Parse()

	root, err := os.MkdirTemp("", "vault-token-helper-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	d := &driver{root: root}
	done := make(chan struct{})
	go func() {
		defer close(done)
		bins := vaulttest.Binaries{Helper: *helperBin, Renew: *renewBin}
		if bins.Helper == "" || bins.Renew == "" {
			step("building vault-token-helper and vault-token-renew")
			b, err := vaulttest.Build(d.TempDir())
			if err != nil {
				d.Fatal(err)
			}
			bins = b
		}
		story(d, bins)
	}()
	<-done
	for i := len(d.cleanups) - 1; i >= 0; i-- {
		d.cleanups[i]()
	}
	os.RemoveAll(root)
	if d.failed {
		os.Exit(1)
	}
	fmt.Println("\nThe demo cleaned up after itself: servers stopped, temporary HOME removed.")
}

const config = `periodic_token {
  display_name    = "devvm-wizard"
  policies        = ["vault-admin", "sops-admin"]
  period          = "768h"
  required_policy = "vault-admin"
}
`

func story(d *driver, bins vaulttest.Binaries) {
	step("starting a dev Vault and a mock OIDC provider on 127.0.0.1")
	s := vaulttest.Start(d)
	s.EnableOIDC(d)
	h := vaulttest.NewHome(d, s, bins.Helper)
	cfgPath := filepath.Join(h.ConfigHome, "vault-token-helper", "config.hcl")
	must(d, os.MkdirAll(filepath.Dir(cfgPath), 0o700))
	must(d, os.WriteFile(cfgPath, []byte(config), 0o600))
	say("HOME=%s", h.Dir)
	say("~/.vault:  token_helper = %q", bins.Helper)
	say("%s:", cfgPath)
	for _, l := range strings.Split(strings.TrimSpace(config), "\n") {
		say("    %s", l)
	}

	step("1. An admin OIDC login mints the periodic token (the 7-day OIDC token is not kept)")
	cmd("vault login -method=oidc role=admin")
	res := h.LoginOIDC(d, vaulttest.OIDCRole)
	expect(d, res, 0)
	say("(the demo completed the browser step with an HTTP client)")
	lookup(d, h)

	step("2. A stray weak login is refused loudly; the periodic token stays")
	cmd("vault login -method=userpass username=weak")
	res = h.LoginUserpass(d, "weak")
	show(res)
	expect(d, res, 2)
	lookup(d, h)

	step("3. The nightly renew renews the periodic token")
	cmd("vault-token-renew")
	res = h.Run(d, "", bins.Renew)
	show(res)
	expect(d, res, 0)

	step("4. Some tool clobbers ~/.vault-token with another token; renew heals it")
	clobber := s.Login(d, "admin")
	must(d, os.WriteFile(h.TokenFile(), []byte(clobber), 0o600))
	say("(wrote a userpass-admin login token into ~/.vault-token)")
	cmd("vault-token-renew")
	res = h.Run(d, "", bins.Renew)
	show(res)
	expect(d, res, 0)
	got, err := os.ReadFile(h.TokenFile())
	must(d, err)
	stored := h.Run(d, "", bins.Helper, "get").Stdout
	if string(got) != stored {
		d.Fatal("~/.vault-token was not restored")
	}
	say("~/.vault-token holds the periodic token again")

	step("5. status shows it all (never the token)")
	cmd("vault-token-helper status")
	res = h.Run(d, "", bins.Helper, "status")
	show(res)
	expect(d, res, 0)

	step("the log (~/.local/state/vault-token-helper/vault-token-helper.log)")
	b, err := os.ReadFile(filepath.Join(h.StateHome, "vault-token-helper", "vault-token-helper.log"))
	must(d, err)
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		say("%s", redact(l))
	}
}

func lookup(d *driver, h *vaulttest.Home) {
	cmd("vault token lookup")
	res := h.Vault(d, "token", "lookup", "-format=json")
	expect(d, res, 0)
	var out struct {
		Data map[string]any `json:"data"`
	}
	must(d, json.Unmarshal([]byte(res.Stdout), &out))
	for _, k := range []string{"display_name", "policies", "period", "orphan", "accessor"} {
		v := out.Data[k]
		if f, ok := v.(float64); ok && k == "period" {
			v = time.Duration(f) * time.Second
		}
		say("%-13s %v", k, v)
	}
}

var tokenRE = regexp.MustCompile(`hv[sbr]\.[A-Za-z0-9_-]{8,}`)

// redact hides tokens in what the CLI prints (vault login shows the token).
func redact(s string) string { return tokenRE.ReplaceAllString(s, "hvs.<redacted>") }

func step(s string)                  { fmt.Printf("\n== %s\n", s) }
func cmd(s string)                   { fmt.Printf("$ %s\n", s) }
func say(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) }

func show(r vaulttest.Result) {
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout+"\n"+r.Stderr), "\n") {
		if strings.TrimSpace(l) != "" {
			say("%s", redact(l))
		}
	}
	say("(exit %d)", r.Code)
}

func expect(d *driver, r vaulttest.Result, code int) {
	if r.Code != code {
		d.Fatalf("want exit %d:\n%s", code, redact(r.String()))
	}
}

func must(d *driver, err error) {
	if err != nil {
		d.Fatal(err)
	}
}
