package helper

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/contrib/systemd"
	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/front"
	"github.com/vault-token-helper/vault-token-helper/helper/sched"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// installed makes env look installed: ~/.vault names the helper, the
// timer unit exists and its user manager says it is active.
func installed(t *testing.T, env Env) Env {
	t.Helper()
	bin := filepath.Join(env.Paths.Home, ".local", "bin", "vault-token-helper")
	writeFile(t, filepath.Join(env.Paths.Home, ".vault"), "token_helper = \""+bin+"\"\n", 0o600)
	// The test binary stands in for both: the same build.
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"vault-token-helper", "vault-token-helper-full"} {
		if err := os.Symlink(exe, filepath.Join(filepath.Dir(bin), n)); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(t, filepath.Join(env.Paths.UnitDir, systemd.Timer), "[Timer]\n", 0o644)
	env.RunBinary = func(path string, args ...string) (string, error) {
		if args[0] == "--front-version" {
			return "test\n", nil
		}
		return "vault-token-helper test\ncommit unknown\n", nil
	}
	env.Sched = &sched.Env{
		Home: env.Paths.Home, UnitDir: env.Paths.UnitDir, LogDir: env.Paths.State,
		LookPath: func(name string) (string, error) {
			if name == "systemctl" {
				return "/usr/bin/systemctl", nil
			}
			return "", exec.ErrNotFound
		},
		Systemctl: systemctlSays("UnitFileState=enabled\nActiveState=active\n"),
	}
	return env
}

// systemctlSays is a user manager that answers show with props.
func systemctlSays(props string) func(args ...string) (string, error) {
	return func(args ...string) (string, error) {
		if len(args) > 0 && args[0] == "show" {
			return props, nil
		}
		return "", nil
	}
}

// lazyOff turns get's lazy renew off, as lazy_renew = false does.
func lazyOff(t *testing.T, env *Env) {
	t.Helper()
	writeFile(t, filepath.Join(env.Paths.Data, front.LazyOffName), "", 0o600)
}

func writeFile(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// storedEnv is an installed env with a minted periodic token stored.
func storedEnv(t *testing.T) (Env, *fakevault.Vault) {
	t.Helper()
	v := fakevault.New("http://127.0.0.1:8200")
	env := installed(t, testEnv(t, v))
	if r := runHelper(env, v.Login("wizard", []string{"admin"}, nil, time.Hour)+"\n", "store"); r.code != ExitOK {
		t.Fatalf("store: got %+v, want exit 0", r)
	}
	return env, v
}

func statusJSON(t *testing.T, env Env) (Status, run) {
	t.Helper()
	r := runHelper(env, "", "status", "--json")
	var rep Status
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("status --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	return rep, r
}

func TestStatusVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, env *Env)
		reason string // in the reasons; "" means healthy
	}{
		{"healthy", func(t *testing.T, env *Env) {}, ""},
		{"timer missing, lazy renew on", func(t *testing.T, env *Env) {
			env.Sched.Systemctl = systemctlSays("UnitFileState=not-found\n")
			os.Remove(filepath.Join(env.Paths.UnitDir, systemd.Timer))
		}, ""},
		{"timer missing, lazy renew off", func(t *testing.T, env *Env) {
			env.Sched.Systemctl = systemctlSays("UnitFileState=not-found\n")
			os.Remove(filepath.Join(env.Paths.UnitDir, systemd.Timer))
			lazyOff(t, env)
		}, "no scheduler will run renew and the lazy renew of get is off"},
		{"no user manager", func(t *testing.T, env *Env) {
			env.Sched.Systemctl = func(...string) (string, error) { return "", exec.ErrNotFound }
			lazyOff(t, env)
		}, "no systemd user manager answers"},
		{"timer inactive", func(t *testing.T, env *Env) {
			env.Sched.Systemctl = systemctlSays("UnitFileState=disabled\nActiveState=inactive\n")
			lazyOff(t, env)
		}, "is disabled and inactive"},
		{"stale renew", func(t *testing.T, env *Env) {
			later := time.Now().Add(72 * time.Hour)
			env.Now = func() time.Time { return later }
		}, "no successful renew for 3 days"},
		{"near expiry", func(t *testing.T, env *Env) {
			later := time.Now().Add(766 * time.Hour) // the 768h period runs out in 2 hours
			env.Now = func() time.Time { return later }
		}, "expires in 1 hour"},
		{"vault config names nothing", func(t *testing.T, env *Env) {
			writeFile(t, filepath.Join(env.Paths.Home, ".vault"), "", 0o600)
		}, "names no token_helper"},
		{"vault config names another helper", func(t *testing.T, env *Env) {
			writeFile(t, filepath.Join(env.Paths.Home, ".vault"), "token_helper = \"/bin/sh\"\n", 0o600)
		}, "names another token helper"},
		{"broken config", func(t *testing.T, env *Env) {
			writeFile(t, env.Paths.Config, "mirror = 1\n", 0o600)
		}, "the configuration: bad configuration"},
		{"refused file", func(t *testing.T, env *Env) {
			p := store.New(env.Paths.Data).StatePath(store.Key{Addr: "http://127.0.0.1:8200"})
			if err := os.Chmod(p, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "its token file is refused"},
		// The checks of get and renew, made by the store for status too.
		{"address directory 0777", func(t *testing.T, env *Env) {
			p := store.New(env.Paths.Data).StatePath(store.Key{Addr: "http://127.0.0.1:8200"})
			if err := os.Chmod(filepath.Dir(p), 0o777); err != nil {
				t.Fatal(err)
			}
		}, "its token file is refused: refusing"},
		{"lock file 0644", func(t *testing.T, env *Env) {
			p := store.New(env.Paths.Data).StatePath(store.Key{Addr: "http://127.0.0.1:8200"})
			if err := os.Chmod(filepath.Join(filepath.Dir(p), "lock"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "its token file is refused: refusing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, _ := storedEnv(t)
			tt.change(t, &env)
			rep, r := statusJSON(t, env)
			wantCode := ExitOK
			if tt.reason != "" {
				wantCode = ExitFail
			}
			if r.code != wantCode || rep.Healthy != (tt.reason == "") {
				t.Fatalf("got exit %d healthy %v, want exit %d\n%s", r.code, rep.Healthy, wantCode, r.stdout)
			}
			if tt.reason != "" && !strings.Contains(strings.Join(rep.Reasons, "\n"), tt.reason) {
				t.Errorf("got reasons %q, want one with %q", rep.Reasons, tt.reason)
			}
			var raw map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
				t.Fatal(err)
			}
			checkSchema(t, raw, loadSchema(t), "$")
			text := runHelper(env, "", "status")
			if text.code != wantCode {
				t.Errorf("text status: got exit %d, want %d", text.code, wantCode)
			}
			if tt.reason != "" && !strings.Contains(text.stdout, "UNHEALTHY") {
				t.Errorf("text status: got\n%s\nwant UNHEALTHY and the reasons", text.stdout)
			}
		})
	}
}

func TestStatusFields(t *testing.T) {
	t.Parallel()
	env, _ := storedEnv(t)
	rep, r := statusJSON(t, env)
	if len(rep.Addresses) != 1 {
		t.Fatalf("got %d addresses, want 1", len(rep.Addresses))
	}
	a := rep.Addresses[0]
	if !a.Selected || a.State != AddrStored || a.Mirror.State != MirrorInSync || a.Mirror.Path != env.Paths.MirrorDef {
		t.Errorf("got %+v, want selected, stored, mirror in-sync at %s", a, env.Paths.MirrorDef)
	}
	if a.ExpiresAt == nil || a.ExpiresInSeconds == nil || *a.ExpiresInSeconds < 767*3600 {
		t.Errorf("got expires_at %v in %v, want about 768h from now", a.ExpiresAt, a.ExpiresInSeconds)
	}
	if rep.Scheduler.Kind != sched.Systemd || !rep.Scheduler.Active || !rep.Scheduler.LazyRenew {
		t.Errorf("got scheduler %+v, want systemd active", rep.Scheduler)
	}
	var raw map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatal(err)
	}
	checkSchema(t, raw, loadSchema(t), "$")

	text := runHelper(env, "", "status").stdout
	lines := strings.Split(text, "\n")
	if !strings.HasSuffix(lines[0], "<- VAULT_ADDR") || !strings.HasPrefix(strings.TrimSpace(lines[1]), "expires in 31 days, ") {
		t.Errorf("got\n%s\nwant the selected address marked, then the expiry in words", text)
	}
	if strings.Contains(text, "h59m") {
		t.Errorf("got a Go duration in\n%s", text)
	}

	// Erased: no longer shown as a stored token, and healthy.
	if r := runHelper(env, "", "erase"); r.code != ExitOK || !strings.Contains(r.stderr, "erased and revoked the periodic token") {
		t.Fatalf("erase: got %+v, want one line saying it erased and revoked", r)
	}
	rep, r = statusJSON(t, env)
	if len(rep.Addresses) != 1 || rep.Addresses[0].State != AddrErased || rep.Addresses[0].Stored || r.code != ExitOK {
		t.Errorf("after erase: got %+v exit %d, want one erased address and exit 0", rep.Addresses, r.code)
	}
	if text := runHelper(env, "", "status").stdout; !strings.Contains(text, "no token stored (erased)") || strings.Contains(text, "accessor") {
		t.Errorf("after erase: got\n%s\nwant no token shown", text)
	}
}

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "docs", "status-schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("docs/status-schema.json: %v", err)
	}
	return s
}

// checkSchema checks v against the subset of JSON schema the file uses:
// type, properties, required, additionalProperties false, items, $ref to
// #/$defs.
func checkSchema(t *testing.T, v any, schema map[string]any, path string) {
	t.Helper()
	root := schema
	var check func(v any, s map[string]any, path string)
	check = func(v any, s map[string]any, path string) {
		if ref, ok := s["$ref"].(string); ok {
			s = root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		types := map[string]bool{}
		switch ty := s["type"].(type) {
		case string:
			types[ty] = true
		case []any:
			for _, x := range ty {
				types[x.(string)] = true
			}
		}
		got := "null"
		switch v.(type) {
		case map[string]any:
			got = "object"
		case []any:
			got = "array"
		case string:
			got = "string"
		case bool:
			got = "boolean"
		case float64:
			got = "number"
		}
		if len(types) > 0 && !types[got] && !(got == "number" && types["integer"]) {
			t.Errorf("%s: got %s, want %v", path, got, s["type"])
			return
		}
		switch x := v.(type) {
		case map[string]any:
			props, _ := s["properties"].(map[string]any)
			for _, r := range s["required"].([]any) {
				if _, ok := x[r.(string)]; !ok {
					t.Errorf("%s: required %q missing", path, r)
				}
			}
			for k, val := range x {
				ps, ok := props[k].(map[string]any)
				if !ok {
					t.Errorf("%s: %q is not in the schema", path, k)
					continue
				}
				check(val, ps, path+"."+k)
			}
		case []any:
			if is, ok := s["items"].(map[string]any); ok {
				for i, e := range x {
					check(e, is, path+"["+string(rune('0'+i%10))+"]")
				}
			}
		}
	}
	check(v, schema, path)
}

func TestDoctorChecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, env *Env)
		fails  string // the one check that fails
	}{
		{CheckVaultCLI, func(t *testing.T, env *Env) {
			writeFile(t, filepath.Join(env.Paths.Home, ".vault"), "", 0o600)
		}, CheckVaultCLI},
		{CheckBaoCLI, func(t *testing.T, env *Env) {
			writeFile(t, filepath.Join(env.Paths.Home, ".bao"), "token_helper = \"/usr/bin/other\"\n", 0o600)
		}, CheckBaoCLI},
		{CheckVersions, func(t *testing.T, env *Env) {
			full := filepath.Join(env.Paths.Home, ".local", "bin", "vault-token-helper-full")
			if err := os.Remove(full); err != nil { // a symlink to the test binary: never write through it
				t.Fatal(err)
			}
			writeFile(t, full, "#!/bin/sh\n", 0o700)
		}, CheckVersions},
		{CheckVersions + ", another version", func(t *testing.T, env *Env) {
			env.RunBinary = func(path string, args ...string) (string, error) {
				if args[0] == "--front-version" {
					return "v1.0.0\n", nil
				}
				return "vault-token-helper v1.1.0\n", nil
			}
		}, CheckVersions},
		{CheckConfig, func(t *testing.T, env *Env) {
			writeFile(t, env.Paths.Config, "mirror = maybe\n", 0o600)
		}, CheckConfig},
		{CheckVaultAddr, func(t *testing.T, env *Env) {
			inner := env.Getenv
			env.Getenv = func(k string) string {
				if k == "VAULT_ADDR" {
					return "http://127.0.0.1:8300"
				}
				return inner(k)
			}
		}, CheckVaultAddr},
		{CheckFileModes, func(t *testing.T, env *Env) {
			writeFile(t, env.Paths.Config, "mirror = true\n", 0o644)
		}, CheckFileModes},
		{CheckReachable, func(t *testing.T, env *Env) {
			env.NewVault = func(addr, ns string, _ heal.ClientOptions) (heal.Vault, error) {
				return heal.NewAPIVault("http://127.0.0.1:1", "", heal.ClientOptions{Timeout: time.Second, Retry: heal.RetryPolicy{Budget: time.Millisecond, Base: time.Millisecond, Max: time.Millisecond}})
			}
		}, CheckReachable},
		{CheckTokenValid, func(t *testing.T, env *Env) {
			v := fakevault.New("http://127.0.0.1:8200") // a Vault that never saw the token
			env.NewVault = func(addr, ns string, _ heal.ClientOptions) (heal.Vault, error) { return v, nil }
		}, CheckTokenValid},
		{CheckScheduler, func(t *testing.T, env *Env) {
			env.Sched.Systemctl = nil
		}, CheckScheduler},
		{CheckMirror, func(t *testing.T, env *Env) {
			writeFile(t, env.Paths.MirrorDef, "hvs.someoneelse", 0o600)
		}, CheckMirror},
	}
	for _, tt := range append([]struct {
		name   string
		change func(t *testing.T, env *Env)
		fails  string
	}{{"all pass", func(*testing.T, *Env) {}, ""}}, tests...) {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, _ := storedEnv(t)
			tt.change(t, &env)
			r := runHelper(env, "", "doctor", "--json")
			var rep DoctorReport
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("doctor --json: %v\n%s%s", err, r.stdout, r.stderr)
			}
			var failed []string
			for _, c := range rep.Checks {
				if !c.OK {
					failed = append(failed, c.Name)
					if c.Fix == "" {
						t.Errorf("%s failed with no fix line", c.Name)
					}
				}
			}
			want := []string{}
			if tt.fails != "" {
				want = []string{tt.fails}
			}
			// Without a reachable Vault, or a token, none is valid.
			if tt.fails == CheckReachable || tt.fails == CheckVaultAddr {
				want = append(want, CheckTokenValid)
			}
			if strings.Join(failed, ",") != strings.Join(want, ",") {
				t.Errorf("got failed checks %v, want %v\n%s", failed, want, r.stdout)
			}
			wantCode := ExitOK
			if tt.fails != "" {
				wantCode = ExitFail
			}
			if r.code != wantCode || rep.Healthy != (tt.fails == "") || len(rep.Checks) != 10 {
				t.Errorf("got exit %d healthy %v and %d checks, want exit %d and 10 checks", r.code, rep.Healthy, len(rep.Checks), wantCode)
			}
			text := runHelper(env, "", "doctor")
			if n := strings.Count(text.stdout, "✓") + strings.Count(text.stdout, "✗"); n != 10 || text.code != wantCode {
				t.Errorf("text doctor: got exit %d and %d marks, want exit %d and 10\n%s", text.code, n, wantCode, text.stdout)
			}
		})
	}
}

func TestCommandLine(t *testing.T) {
	t.Parallel()
	env := testEnv(t, fakevault.New("http://127.0.0.1:8200"))
	tests := []struct {
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring
		noStdout bool
	}{
		{[]string{}, ExitUsage, "", "no command given", true},
		{[]string{"stauts"}, ExitUsage, "", `unknown command "stauts"; did you mean status?`, true},
		{[]string{"docter"}, ExitUsage, "", "did you mean doctor?", true},
		{[]string{"--frobnicate"}, ExitUsage, "", "unknown flag --frobnicate", true},
		{[]string{"help"}, ExitOK, "  doctor ", "", false},
		{[]string{"--help"}, ExitOK, "  renew ", "", false},
		{[]string{"-h"}, ExitOK, "Commands:", "", false},
		{[]string{"help", "status"}, ExitOK, "usage: vault-token-helper status [--json]", "", false},
		{[]string{"help", "stauts"}, ExitUsage, "", "did you mean status?", true},
		{[]string{"status", "--help"}, ExitOK, "--json", "", false},
		{[]string{"renew", "--help"}, ExitOK, "usage: vault-token-helper renew [--address URL] [--scan] [--dry-run]", "", false},
		{[]string{"check-config", "-h"}, ExitOK, "[FILE]", "", false},
		{[]string{"get", "--help"}, ExitOK, "usage: vault-token-helper get", "", false},
		{[]string{"status", "--jsno"}, ExitUsage, "", "unknown flag --jsno; did you mean --json?", true},
		{[]string{"status", "extra"}, ExitUsage, "", `unexpected arguments "extra"`, true},
		{[]string{"get", "extra"}, ExitUsage, "", "unexpected arguments", true},
		{[]string{"version"}, ExitOK, "vault-token-helper test\ncommit ", "", false},
		{[]string{"--version"}, ExitOK, "\ngo1.", "", false},
		{[]string{"completion"}, ExitUsage, "", "name one shell", true},
		{[]string{"completion", "tcsh"}, ExitUsage, "", "no completion for shell", true},
		{[]string{"man"}, ExitOK, ".SH COMMANDS", "", false},
		{[]string{"renew", "--bogus"}, ExitUsage, "", "unknown flag --bogus\n", true},
		{[]string{"renew", "--dryrun"}, ExitUsage, "", "did you mean --dry-run?", true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "_"), func(t *testing.T) {
			t.Parallel()
			r := runHelper(env, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout, tt.stdout) || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("got exit %d\nstdout %q\nstderr %q\nwant exit %d, stdout with %q, stderr with %q", r.code, r.stdout, r.stderr, tt.code, tt.stdout, tt.stderr)
			}
			if tt.noStdout && r.stdout != "" {
				t.Errorf("got stdout %q, want none on a usage error", r.stdout)
			}
			if tt.code == ExitUsage && strings.Count(r.stderr, "\n") > 2 {
				t.Errorf("got a usage error of %d lines, want a short one:\n%s", strings.Count(r.stderr, "\n"), r.stderr)
			}
		})
	}
}

func TestRenewBinaryCommandLine(t *testing.T) {
	t.Parallel()
	env := testEnv(t, fakevault.New("http://127.0.0.1:8200"))
	for _, args := range [][]string{{"--version"}, {"-version"}, {"version"}} {
		var out, errb bytes.Buffer
		if code := RunRenew(context.Background(), args, &out, &errb, env); code != ExitOK || !strings.HasPrefix(out.String(), "vault-token-renew test\ncommit ") {
			t.Errorf("%v: got exit %d %q, want the version", args, code, out.String())
		}
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"-h"}} {
		var out, errb bytes.Buffer
		if code := RunRenew(context.Background(), args, &out, &errb, env); code != ExitOK || !strings.HasPrefix(out.String(), "usage: vault-token-renew [--address URL]") {
			t.Errorf("%v: got exit %d %q, want the help on stdout", args, code, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := RunRenew(context.Background(), []string{"--adress", "x"}, &out, &errb, env); code != ExitUsage || strings.Count(errb.String(), "\n") > 2 {
		t.Errorf("got exit %d %q, want a short usage error", code, errb.String())
	}
}

func TestSuggestVerb(t *testing.T) {
	t.Parallel()
	for typed, want := range map[string]string{"stauts": "status", "stat": "status", "renwe": "renew", "erse": "erase", "xyzzy": "", "check": "check-config", "complet": "completion"} {
		if got := suggestVerb(typed); got != want {
			t.Errorf("suggestVerb(%q): got %q, want %q", typed, got, want)
		}
	}
}

// TestCompletionScripts runs each generated script through its shell
// (when installed) and the bash one for real.
func TestCompletionScripts(t *testing.T) {
	t.Parallel()
	for _, sh := range []string{"bash", "zsh", "fish"} {
		t.Run(sh, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := completion(&b, sh); err != nil {
				t.Fatal(err)
			}
			for _, v := range verbTable() {
				if !strings.Contains(b.String(), v.Name) {
					t.Errorf("%s completion lacks %s", sh, v.Name)
				}
			}
			path, err := exec.LookPath(sh)
			if err != nil {
				t.Skipf("%s is not installed", sh)
			}
			script := filepath.Join(t.TempDir(), "c")
			writeFile(t, script, b.String(), 0o600)
			syntax := []string{"-n", script}
			if sh == "fish" {
				syntax = []string{"--no-execute", script}
			}
			if out, err := exec.Command(path, syntax...).CombinedOutput(); err != nil {
				t.Fatalf("%s says the script is wrong: %v\n%s", sh, err, out)
			}
			if sh == "fish" {
				for line, want := range map[string]string{
					"vault-token-helper sta":           "status",
					"vault-token-helper status --j":    "--json",
					"vault-token-helper setup --cli b": "bao both",
					"vault-token-renew --dr":           "--dry-run",
				} {
					out, err := exec.Command(path, "-c", `source $argv[1]; complete -C $argv[2]`, script, line).CombinedOutput()
					var got []string
					for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
						w, _, _ := strings.Cut(l, "\t")
						got = append(got, w)
					}
					if err != nil || strings.Join(got, " ") != want {
						t.Errorf("fish completing %q: got %q (%v), want %q", line, out, err, want)
					}
				}
			}
			if sh != "bash" {
				return
			}
			for line, want := range map[string]string{
				"vault-token-helper sta":           "status",
				"vault-token-helper status --j":    "--json",
				"vault-token-helper completion z":  "zsh",
				"vault-token-helper setup --cli b": "bao both",
				"vault-token-renew --dr":           "--dry-run",
				"vault-token-helper renew --addr":  "--address",
				"vault-token-helper help do":       "doctor",
			} {
				words := strings.Fields(line)
				fn := "_vault_token_helper"
				if words[0] == "vault-token-renew" {
					fn = "_vault_token_renew"
				}
				cmd := exec.Command(path, "-c", `source "$1"; COMP_WORDS=(${2}); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); `+fn+`; echo "${COMPREPLY[*]}"`, "bash", script, line)
				out, err := cmd.CombinedOutput()
				if err != nil || strings.TrimSpace(string(out)) != want {
					t.Errorf("completing %q: got %q (%v), want %q", line, out, err, want)
				}
			}
		})
	}
}

func TestManPageFromTable(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	manPage(&b, "test", time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC))
	for _, v := range verbTable() {
		if !strings.Contains(b.String(), ".B "+strings.ReplaceAll(v.Name, "-", `\-`)) {
			t.Errorf("man page lacks %s", v.Name)
		}
	}
	if man, err := exec.LookPath("groff"); err == nil {
		cmd := exec.Command(man, "-man", "-Tutf8", "-ww", "-z")
		cmd.Stdin = &b
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("groff: %v\n%s", err, out)
		}
	}
}

// TestEveryFlagEverywhere: every flag of the table is accepted by the
// verb's parser (a flag after it is the one refused), and shows in the
// verb's --help, the completions of the three shells and the man page;
// vault-token-renew's flags likewise.
func TestEveryFlagEverywhere(t *testing.T) {
	t.Parallel()
	env := testEnv(t, fakevault.New("http://127.0.0.1:8200"))
	outputs := map[string]string{}
	for _, shell := range []string{"bash", "zsh", "fish"} {
		var b strings.Builder
		if err := completion(&b, shell); err != nil {
			t.Fatal(err)
		}
		outputs[shell] = b.String()
	}
	var man strings.Builder
	manPage(&man, "test", time.Unix(0, 0))
	outputs["man"] = man.String()

	type verb struct {
		prog  string
		argv  func(flag ...string) []string
		help  string
		flags []flagDoc
	}
	var verbs []verb
	for _, v := range verbTable() {
		r := runHelper(env, "", v.Name, "--help")
		verbs = append(verbs, verb{helperName + " " + v.Name, func(f ...string) []string { return append([]string{v.Name}, f...) }, r.stdout, v.Flags})
	}
	var renewHelp strings.Builder
	RunRenew(context.Background(), []string{"--help"}, &renewHelp, io.Discard, env)
	verbs = append(verbs, verb{"vault-token-renew", nil, renewHelp.String(), renewFlags})

	for _, v := range verbs {
		for _, f := range v.flags {
			args := []string{"--" + f.Name}
			if f.Arg != "" {
				args = append(args, "/x")
				if len(f.Values) > 0 && f.Values[0] != "file" {
					args[1] = f.Values[0]
				}
			}
			args = append(args, "--zz-not-a-flag")
			var stderr strings.Builder
			if v.argv == nil {
				RunRenew(context.Background(), args, io.Discard, &stderr, env)
			} else {
				stderr.WriteString(runHelper(env, "", v.argv(args...)...).stderr)
			}
			if !strings.Contains(stderr.String(), "zz-not-a-flag") {
				t.Errorf("%s %q: got %q, want only --zz-not-a-flag refused", v.prog, args, stderr.String())
			}
			if !strings.Contains(v.help, "--"+f.Name) {
				t.Errorf("%s --help lacks --%s:\n%s", v.prog, f.Name, v.help)
			}
			for where, want := range map[string]string{"bash": "--" + f.Name, "zsh": "'--" + f.Name + "[", "fish": "-l " + f.Name, "man": `\-\-` + strings.ReplaceAll(f.Name, "-", `\-`)} {
				if !strings.Contains(outputs[where], want) {
					t.Errorf("%s --%s: the %s output lacks %q", v.prog, f.Name, where, want)
				}
			}
		}
	}
}

func TestCheckConfigReportsEveryError(t *testing.T) {
	t.Parallel()
	env := testEnv(t, fakevault.New("http://127.0.0.1:8200"))
	dir := t.TempDir()
	tests := []struct {
		name, content string
		want          []string // each on its own line of stderr
	}{
		{"two keys wrong", "mirror = \"maybe\"\nrevoke_login_token = \"yes\"\n", []string{"2 error(s)", "line 1: mirror: must be true or false", "line 2: revoke_login_token: must be true or false"}},
		{"nested errors", "periodic_token {\n  period = \"5s\"\n  policies = [\"Admin\"]\n  colour = \"red\"\n}\n", []string{"3 error(s)", "line 2: periodic_token.period:", "line 3: periodic_token.policies:", "line 4: periodic_token.colour: unknown key"}},
		{"syntax", "periodic_token {\n  period = \"768h\"\n", []string{"1 error(s)", "line 3: the file is not valid HCL (look for a missing brace"}},
		{"address block", "address \"https://v.example.com\" {\n  bogus = 1\n  revoke_login_token = 3\n}\nmirror = 1\n", []string{"3 error(s)", "line 2: address \"https://v.example.com:443\" bogus: unknown key", "line 3:", "line 5: mirror"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".hcl")
			writeFile(t, p, tt.content, 0o600)
			r := runHelper(env, "", "check-config", p)
			if r.code != ExitFail {
				t.Errorf("got exit %d, want 1", r.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("got\n%s\nwant a line with %q", r.stderr, w)
				}
			}
		})
	}
	missing := filepath.Join(dir, "nope.hcl")
	if r := runHelper(env, "", "check-config", missing); r.code != ExitFail || !strings.Contains(r.stderr, "name an existing file") {
		t.Errorf("missing file named: got %+v, want exit 1", r)
	}
	if r := runHelper(env, "", "check-config"); r.code != ExitOK || !strings.Contains(r.stdout, "the defaults apply") {
		t.Errorf("default file missing: got %+v, want exit 0 and the defaults", r)
	}
}

func TestCLISafeOutput(t *testing.T) {
	t.Parallel()
	got := oneLineForCLI("vault-token-helper: warning: a \"quoted\" thing\nvault-token-helper: store: refusing \"/x\": loose\n")
	want := "vault-token-helper: warning: a 'quoted' thing; store: refusing '/x': loose"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	env := testEnv(t, fakevault.New("http://127.0.0.1:8200"))
	r := runHelper(env, "not a token\n", "store")
	if r.code != ExitFail || strings.ContainsAny(r.stderr, "\"\n") {
		t.Errorf("store through the CLI: got %+v, want one line with no double quote", r)
	}
}

// adopt and erase confirm what they did in one line.
func TestConfirmations(t *testing.T) {
	t.Parallel()
	env, _ := storedEnv(t)
	tok := runHelper(env, "", "get").stdout
	r := runHelper(env, tok+"\n", "adopt")
	if r.code != ExitOK || !strings.Contains(r.stderr, "nothing changed: already stored is the periodic token (accessor ") || strings.Count(r.stderr, "\n") != 0 {
		t.Errorf("adopt of the stored token: got %+v, want one line saying nothing changed", r)
	}
	if r := runHelper(env, "", "erase"); r.code != ExitOK || !strings.Contains(r.stderr, "erased and revoked the periodic token") || strings.Count(r.stderr, "\n") != 0 {
		t.Errorf("erase: got %+v, want one line (no newline: not a terminal)", r)
	}
	if r := runHelper(env, "", "erase"); r.code != ExitOK || !strings.Contains(r.stderr, "nothing was stored for http://127.0.0.1:8200; nothing changed") {
		t.Errorf("erase again: got %+v, want nothing was stored", r)
	}
	if r := runHelper(env, tok+"\n", "adopt"); r.code != ExitFail || strings.Contains(r.stderr, "adopted") {
		t.Errorf("adopt of a revoked token: got %+v, want exit 1", r)
	}
}

// TestStatusAndDoctorAgreeOnARefusedStore: an address directory get
// refuses is one problem, named the same way by status and by doctor
// (both read the store through the checks of get and renew).
func TestStatusAndDoctorAgreeOnARefusedStore(t *testing.T) {
	t.Parallel()
	env, _ := storedEnv(t)
	dir := filepath.Dir(store.New(env.Paths.Data).StatePath(store.Key{Addr: "http://127.0.0.1:8200"}))
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	_, getErr := store.New(env.Paths.Data).Token(store.Key{Addr: "http://127.0.0.1:8200"})
	if getErr == nil {
		t.Fatal("get: got no error, want the directory refused")
	}
	rep, _ := statusJSON(t, env)
	if len(rep.Addresses) != 1 || rep.Addresses[0].State != AddrRefused || rep.Addresses[0].Problem != getErr.Error() {
		t.Fatalf("status: got %+v, want the address refused with get's error %q", rep.Addresses, getErr)
	}
	r := runHelper(env, "", "doctor", "--json")
	var drep DoctorReport
	if err := json.Unmarshal([]byte(r.stdout), &drep); err != nil {
		t.Fatal(err)
	}
	got := map[string]Check{}
	for _, c := range drep.Checks {
		got[c.Name] = c
	}
	if c := got[CheckFileModes]; c.OK || c.Detail != getErr.Error() || c.Fix != "chmod 700 \""+dir+"\"" {
		t.Errorf("doctor %s: got %+v, want it failed with get's error and its fix", CheckFileModes, c)
	}
	if c := got[CheckVaultAddr]; c.OK || !strings.Contains(c.Detail, "get and renew refuse") {
		t.Errorf("doctor %s: got %+v, want it failed saying get and renew refuse the file", CheckVaultAddr, c)
	}
	if drep.Healthy || r.code != ExitFail {
		t.Errorf("doctor: got healthy %v exit %d, want unhealthy, exit %d", drep.Healthy, r.code, ExitFail)
	}
}
