// Command demo plays the vault-token-helper story end to end with the
// real Vault CLI against a local dev Vault and a mock OIDC provider, in a
// temporary HOME, and prints each step. It needs no Vault of your own and
// cleans up after itself. Run it with `make demo`.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

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
	helperBin := flag.String("helper", "", "vault-token-helper binary, with vault-token-helper-full next to it (default: build them)")
	renewBin := flag.String("renew", "", "vault-token-renew binary (default: build it)")
	readme := flag.String("readme", "", "rewrite the 60-seconds block of this README.md with the transcript")
	flag.Parse()

	root, err := os.MkdirTemp("", "vault-token-helper-demo-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	d := &driver{root: root}
	done := make(chan struct{})
	var transcript string
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
		transcript = story(d, bins)
	}()
	<-done
	for i := len(d.cleanups) - 1; i >= 0; i-- {
		d.cleanups[i]()
	}
	os.RemoveAll(root)
	if d.failed {
		os.Exit(1)
	}
	if *readme != "" {
		if err := rewriteREADME(*readme, transcript); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Printf("\nrewrote the 60-seconds block of %s\n", *readme)
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

// story plays the demo in d and returns its console transcript, as the
// README's "60 seconds" shows it (normalize: what differs from run to
// run reads as a placeholder).
func story(d vaulttest.T, bins vaulttest.Binaries) string {
	var c console
	step("starting a dev Vault and a mock OIDC provider on 127.0.0.1")
	s := vaulttest.Start(d)
	s.EnableOIDC(d)
	// The CLI starts with no token_helper: setup sets it.
	h := vaulttest.NewHome(d, s, "")
	bindir := filepath.Join(h.Dir, ".local", "bin")
	// Only the installed binaries on PATH: no systemctl, crontab or bao
	// of this machine changes what setup says.
	h.Setenv("PATH", bindir)
	c.home = h.Dir
	c.port = strings.TrimPrefix(s.Addr, "http://127.0.0.1:")
	say("HOME=%s", h.Dir)

	step("1. Install: binaries, ~/.vault, a config, a scheduler (setup says what will run renew)")
	res := c.exec(d, h, "vault-token-helper setup", bins.Helper, "setup")
	expect(d, res, 0)
	cfgPath := filepath.Join(h.ConfigHome, "vault-token-helper", "config.hcl")
	must(d, os.WriteFile(cfgPath, []byte(config), 0o600))
	c.line("$ cat ~/.config/vault-token-helper/config.hcl   # edited: what your periodic token is")
	for _, l := range strings.Split(strings.TrimSpace(config), "\n") {
		c.line(l)
	}

	step("2. An admin OIDC login mints the periodic token (the 7-day OIDC token is not kept)")
	res = h.LoginOIDC(d, vaulttest.OIDCRole, "-no-print")
	c.run(d, "vault login -no-print -method=oidc role=admin skip_browser=true   # open the link, log in", res)
	expect(d, res, 0)
	lookup(d, h, &c)

	step("2b. Logging in again keeps the same periodic token (KEPT)")
	// Not in the README's transcript (the same three lines again); status
	// shows it: last login KEPT.
	res = h.LoginOIDC(d, vaulttest.OIDCRole, "-no-print")
	show(res)
	expect(d, res, 0)

	step("3. A stray weak login is refused loudly; the periodic token stays")
	// The CLI then prints the login token it did not persist: the first
	// two lines say what happened.
	res = c.execHead(d, h, "vault login -no-print -method=userpass username=weak 2>&1 | head -n 2   # cannot mint", 2,
		vaulttest.Bin(d), "login", "-no-print", "-method=userpass", "username=weak", "password="+vaulttest.Password)
	expect(d, res, 2)
	lookup(d, h, &c)

	step("4. The nightly renew (vault-token-renew, or vault-token-helper renew)")
	res = c.exec(d, h, "vault-token-renew", filepath.Join(bindir, "vault-token-renew"))
	expect(d, res, 0)

	step("5. Some tool clobbers ~/.vault-token with another token; renew heals it")
	healClobber(d, s, h, bindir, bins)

	step("6. status: will my token survive? (never the token)")
	res = c.exec(d, h, "vault-token-helper status", filepath.Join(bindir, "vault-token-helper"), "status")
	expect(d, res, 0)

	step("7. doctor: every check, with a fix for each one that fails")
	res = h.Run(d, "", filepath.Join(bindir, "vault-token-helper"), "doctor")
	show(res)
	expect(d, res, 1) // the demo's HOME has no scheduler

	step("the log (~/.local/state/vault-token-helper/vault-token-helper.log)")
	showLog(d, h)
	return c.String()
}

// healClobber writes another token into ~/.vault-token, runs renew and
// checks that the periodic token is back.
func healClobber(d vaulttest.T, s *vaulttest.Server, h *vaulttest.Home, bindir string, bins vaulttest.Binaries) {
	clobber := s.Login(d, "admin")
	must(d, os.WriteFile(h.TokenFile(), []byte(clobber), 0o600))
	say("(wrote a userpass-admin login token into ~/.vault-token)")
	res := h.Run(d, "", filepath.Join(bindir, "vault-token-helper"), "renew")
	show(res)
	expect(d, res, 0)
	got, err := os.ReadFile(h.TokenFile())
	must(d, err)
	if stored := h.Run(d, "", bins.Helper, "get").Stdout; string(got) != stored {
		d.Fatal("~/.vault-token was not restored")
	}
	say("~/.vault-token holds the periodic token again")
}

// showLog prints the helper's log, redacted.
func showLog(d vaulttest.T, h *vaulttest.Home) {
	b, err := os.ReadFile(filepath.Join(h.StateHome, "vault-token-helper", "vault-token-helper.log"))
	must(d, err)
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		say("%s", redact(l))
	}
}

// console is the transcript of the commands a user types and what they
// print, normalized.
type console struct {
	home, port string
	lines      []string
}

func (c *console) line(s string) {
	fmt.Printf("    %s\n", redact(s))
	c.lines = append(c.lines, c.normalize(s))
}

// run records the command line shown and what the command printed
// (stdout, then stderr, as a terminal shows them when one of the two is
// empty), with its exit code when it is not 0.
func (c *console) run(d vaulttest.T, shown string, r vaulttest.Result) vaulttest.Result {
	fmt.Printf("$ %s\n", shown)
	c.lines = append(c.lines, "$ "+shown)
	for _, l := range strings.Split(strings.TrimRight(r.Stdout+r.Stderr, "\n"), "\n") {
		if l != "" {
			c.line(l)
		}
	}
	if r.Code != 0 {
		c.line(fmt.Sprintf("(exit %d)", r.Code))
	}
	return r
}

// exec runs a command in h as a terminal shows it: stdout and stderr
// interleaved in one stream.
func (c *console) exec(d vaulttest.T, h *vaulttest.Home, shown, name string, args ...string) vaulttest.Result {
	d.Helper()
	return c.execHead(d, h, shown, 0, name, args...)
}

// execHead is exec showing only the first n lines (n > 0), as `2>&1 |
// head -n N` does, and no exit code (the pipe's is head's).
func (c *console) execHead(d vaulttest.T, h *vaulttest.Home, shown string, n int, name string, args ...string) vaulttest.Result {
	d.Helper()
	var out bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = h.Env(), h.Dir, &out, &out
	err := cmd.Run()
	res := vaulttest.Result{Stdout: out.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.Code, err = ee.ExitCode(), nil
	}
	if err != nil {
		d.Fatalf("run %s: %v", shown, err)
	}
	if n > 0 {
		lines := strings.SplitAfter(res.Stdout, "\n")
		c.run(d, shown, vaulttest.Result{Stdout: strings.Join(lines[:min(n, len(lines))], "")})
		return res
	}
	return c.run(d, shown, res)
}

func (c *console) String() string { return strings.Join(c.lines, "\n") + "\n" }

var (
	accessorRE = regexp.MustCompile(`\b[A-Za-z0-9]{24}\b`)
	dateTimeRE = regexp.MustCompile(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d| UTC)?`)
	dateRE     = regexp.MustCompile(`\b\d{4}-\d\d-\d\d\b`)
	backupRE   = regexp.MustCompile(`\.bak\.[0-9T-]+`)
	oidcURLRE  = regexp.MustCompile(`http://127\.0\.0\.1:\d+/oidc/authorize\?\S+`)
	buildRE    = regexp.MustCompile(`the same build \([^)]*\)`)
)

// normalize turns what differs from run to run into placeholders: the
// temporary HOME into ~ (into /home/you in a quoted path), the dev
// server's port into 8200, accessors, dates and times.
func (c *console) normalize(s string) string {
	s = redact(s)
	s = oidcURLRE.ReplaceAllString(s, "<the OIDC provider's login URL>")
	s = buildRE.ReplaceAllString(s, "the same build (<version>)")
	// A quoted path is what a file holds: absolute, as the CLI needs it
	// (it does not expand ~).
	s = strings.ReplaceAll(s, `"`+c.home, `"/home/you`)
	s = strings.ReplaceAll(s, c.home, "~")
	s = strings.ReplaceAll(s, "127.0.0.1:"+c.port, "127.0.0.1:8200")
	s = accessorRE.ReplaceAllString(s, "<accessor>")
	s = dateTimeRE.ReplaceAllString(s, "<time>")
	s = dateRE.ReplaceAllString(s, "<date>")
	s = backupRE.ReplaceAllString(s, ".bak.<time>")
	return s
}

// The README's 60-seconds block lies between these markers.
const (
	readmeBegin = "<!-- make demo writes this block; TestREADMEMatchesDemo checks it -->\n```console\n"
	readmeEnd   = "```\n<!-- end of the demo block -->"
)

// readmeBlock is the transcript in README.md at path.
func readmeBlock(path string) (before, block, after string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", "", err
	}
	s := string(b)
	i := strings.Index(s, readmeBegin)
	j := strings.Index(s, readmeEnd)
	if i < 0 || j < i {
		return "", "", "", fmt.Errorf("%s has no demo block (%q ... %q)", path, readmeBegin, readmeEnd)
	}
	return s[:i+len(readmeBegin)], s[i+len(readmeBegin) : j], s[j:], nil
}

func rewriteREADME(path, transcript string) error {
	before, _, after, err := readmeBlock(path)
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(before+transcript+after), 0o644)
}

// lookup is `vault token lookup | grep -E '...'`: the lines of the
// CLI's table a reader cares about.
func lookup(d vaulttest.T, h *vaulttest.Home, c *console) {
	res := h.Vault(d, "token", "lookup")
	expect(d, res, 0)
	want := regexp.MustCompile(`^(display_name|policies|period) `)
	var out []string
	for _, l := range strings.Split(res.Stdout, "\n") {
		if want.MatchString(l) {
			out = append(out, l)
		}
	}
	c.run(d, "vault token lookup | grep -E '^(display_name|policies|period) '", vaulttest.Result{Stdout: strings.Join(out, "\n")})
}

var tokenRE = regexp.MustCompile(`hv[sbr]\.[A-Za-z0-9_-]{8,}`)

// redact hides tokens in what the CLI prints (vault login shows the token).
func redact(s string) string { return tokenRE.ReplaceAllString(s, "hvs.<redacted>") }

func step(s string)                  { fmt.Printf("\n== %s\n", s) }
func say(format string, args ...any) { fmt.Printf("    "+format+"\n", args...) }

func show(r vaulttest.Result) {
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout+"\n"+r.Stderr), "\n") {
		if strings.TrimSpace(l) != "" {
			say("%s", redact(l))
		}
	}
	say("(exit %d)", r.Code)
}

func expect(d vaulttest.T, r vaulttest.Result, code int) {
	if r.Code != code {
		d.Fatalf("want exit %d:\n%s", code, redact(r.String()))
	}
}

func must(d vaulttest.T, err error) {
	if err != nil {
		d.Fatal(err)
	}
}
