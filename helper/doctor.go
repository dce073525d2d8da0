package helper

import (
	"context"
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/hcl"

	"github.com/vault-token-helper/vault-token-helper/heal"
	installer "github.com/vault-token-helper/vault-token-helper/helper/setup"
	"github.com/vault-token-helper/vault-token-helper/store"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// Check is one check of doctor.
type Check struct {
	Name string `json:"name"`
	OK   bool   `json:"ok"`
	// Warning: OK, but with a risk the user chose (no scheduler), named
	// in Detail as status names it.
	Warning bool   `json:"warning,omitempty"`
	Detail  string `json:"detail"`
	Fix     string `json:"fix,omitempty"`
}

// DoctorReport is doctor's JSON.
type DoctorReport struct {
	Healthy bool    `json:"healthy"`
	Checks  []Check `json:"checks"`
}

// Names of doctor's checks, in the order they run.
const (
	CheckVaultCLI   = "vault-cli-config"
	CheckBaoCLI     = "bao-cli-config"
	CheckVersions   = "same-version"
	CheckConfig     = "config"
	CheckVaultAddr  = "vault-addr"
	CheckFileModes  = "file-modes"
	CheckReachable  = "vault-reachable"
	CheckTokenValid = "token-valid-and-ours"
	CheckScheduler  = "scheduler"
	CheckMirror     = "mirror"
)

func doctor(ctx context.Context, asJSON bool, stdout, stderr io.Writer, env Env) int {
	rep := runDoctor(ctx, env)
	if asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail(stderr, "doctor: ", err)
		}
	} else {
		for _, c := range rep.Checks {
			mark := "✓"
			switch {
			case !c.OK:
				mark = "✗"
			case c.Warning:
				mark = "!"
			}
			fmt.Fprintf(stdout, "%s %s\n", mark, c.Detail)
			if !c.OK && c.Fix != "" {
				fmt.Fprintf(stdout, "    fix: %s\n", c.Fix)
			}
		}
	}
	return exitCode(rep.Healthy)
}

// runDoctor runs every check in order; a check whose input an earlier
// one found missing says so rather than being skipped.
func runDoctor(ctx context.Context, env Env) DoctorReport {
	d := &doctorRun{ctx: ctx, env: env}
	for _, check := range []func(){d.cliConfigs, d.builds, d.config, d.vaultAddr, d.fileModes, d.vault, d.scheduler, d.mirror} {
		check()
	}
	rep := DoctorReport{Healthy: true, Checks: d.checks}
	for _, c := range d.checks {
		rep.Healthy = rep.Healthy && c.OK
	}
	return rep
}

// doctorRun is one run of the doctor: the checks so far, and what a
// check found that a later one uses.
type doctorRun struct {
	ctx    context.Context
	env    Env
	checks []Check

	vc      CLIConfigStatus // the vault CLI's config file (cliConfigs)
	front   string          // the front the CLI runs, else setup's default (builds)
	cfg     *Config         // the configuration, else the defaults (config)
	states  []store.State   // the store (vaultAddr)
	errs    []error         // what the store's checks refuse (vaultAddr)
	key     store.Key       // the selected address's key (vaultAddr, addrVar)
	keyErr  error
	cur     *store.State // its state, nil when none (vaultAddr)
	refused error        // why its token file is refused (vaultAddr)
}

func (d *doctorRun) add(name string, ok bool, detail, fix string) {
	d.checks = append(d.checks, Check{Name: name, OK: ok, Detail: detail, Fix: fix})
}

// cliConfigs is check 1: the CLI config files name this helper.
func (d *doctorRun) cliConfigs() {
	setupFix := "run `vault-token-helper setup` (it sets token_helper to the installed binary)"
	d.vc = vaultCLIConfig(d.env)
	if d.vc.NamesHelper {
		d.add(CheckVaultCLI, true, fmt.Sprintf("vault: %s names %s", d.vc.Path, d.vc.TokenHelper), "")
	} else {
		d.add(CheckVaultCLI, false, d.vc.Problem, d.vc.fix(setupFix))
		if detail, fix := unrunnableHelper(d.vc, d.env.Paths.Home); detail != "" {
			d.checks[len(d.checks)-1].Detail, d.checks[len(d.checks)-1].Fix = detail, fix
		}
	}
	lookup := d.env.LookupEnv
	cwd, _ := os.Getwd()
	baoPath := installer.BaoConfigPath(lookup, d.env.Paths.Home, cwd)
	_, baoErr := exec.LookPath("bao")
	_, statErr := os.Stat(baoPath)
	switch bc := cliConfig("bao", baoPath); {
	case baoPath == d.vc.Path && d.vc.NamesHelper:
		d.add(CheckBaoCLI, true, "bao: "+baoPath+" (shared with vault) names "+d.vc.TokenHelper, "")
	case baoErr != nil && errors.Is(statErr, os.ErrNotExist):
		d.add(CheckBaoCLI, true, "bao: not used (no bao on PATH, no "+baoPath+")", "")
	case bc.NamesHelper:
		d.add(CheckBaoCLI, true, fmt.Sprintf("bao: %s names %s", bc.Path, bc.TokenHelper), "")
	default:
		d.add(CheckBaoCLI, false, bc.Problem, bc.fix("run `vault-token-helper setup --cli bao`"))
		if detail, fix := unrunnableHelper(bc, d.env.Paths.Home); detail != "" {
			d.checks[len(d.checks)-1].Detail, d.checks[len(d.checks)-1].Fix = detail, fix
		}
	}
}

// builds is check 2: the front and the full binary are the same build (those the
// CLI runs, else those setup installs by default).
func (d *doctorRun) builds() {
	d.front = d.vc.TokenHelper
	if !d.vc.NamesHelper {
		d.front = filepath.Join(d.env.Paths.Home, ".local", "bin", installer.HelperName)
	}
	d.add(versionsCheck(d.env, d.front))
}

// config is check 3: the configuration.
func (d *doctorRun) config() {
	var err error
	d.cfg, err = LoadConfig(d.env.Paths.Config)
	if err != nil {
		d.add(CheckConfig, false, "the configuration is not valid: "+oneLine(err.Error()), "run `vault-token-helper check-config` and fix each line it names")
		d.cfg = DefaultConfig()
	} else if d.cfg.Path == "" {
		d.add(CheckConfig, true, fmt.Sprintf("no configuration file (%s): the defaults apply", d.env.Paths.Config), "")
	} else {
		d.add(CheckConfig, true, d.cfg.Path+" is valid", "")
	}
}

// vaultAddr is check 4: the address the shell selects (VAULT_AGENT_ADDR,
// else VAULT_ADDR: addrVar) is set and has a stored token.
func (d *doctorRun) vaultAddr() {
	files := d.env.files()
	d.states, d.errs = files.List()
	d.key, d.keyErr = keyFromEnv(d.env, "doctor")
	for i := range d.states {
		if d.keyErr == nil && d.states[i].Key() == d.key {
			d.cur = &d.states[i]
		}
	}
	// refused: why the store's checks (those get and renew make) refuse
	// the selected address's token file; file-modes names every refused one.
	for _, err := range d.errs {
		if k, ok := refusedKey(files, err); ok && d.keyErr == nil && k == d.key {
			d.refused = err
		}
	}
	name, raw := addrVar(d.env)
	switch {
	case raw == "":
		d.add(CheckVaultAddr, false, "VAULT_ADDR is not set: the CLI talks to https://127.0.0.1:8200", "export VAULT_ADDR=https://your-vault:8200 (in your shell profile)")
	case d.keyErr != nil:
		d.add(CheckVaultAddr, false, name+" is not usable: "+oneLine(d.keyErr.Error()), "set "+name+" to a URL like https://vault.example.com:8200")
	case d.refused != nil:
		d.add(CheckVaultAddr, false, fmt.Sprintf("%s=%s has a token file that get and renew refuse: %s", name, d.key, oneLine(d.refused.Error())), unsafeFix(d.refused, "see the file-modes check"))
	case d.cur == nil || d.cur.Current == nil:
		var stored []store.Key
		for _, st := range d.states {
			if st.Current != nil {
				stored = append(stored, st.Key())
			}
		}
		if other, ok := otherSpelling(d.key, stored); ok {
			d.add(CheckVaultAddr, false, fmt.Sprintf("%s=%s has no stored token, so the CLI sends none and Vault answers 403; the token is stored for %s, the same Vault spelled another way", name, d.key, other),
				fmt.Sprintf("export %[1]s=%[2]s (or run `vault login` with this %[1]s to store one for it)", name, other.Addr))
			break
		}
		d.add(CheckVaultAddr, false, fmt.Sprintf("%s=%s has no stored token", name, d.key), "log in: "+installer.LoginHint("vault", ""))
	default:
		d.add(CheckVaultAddr, true, fmt.Sprintf("%s=%s has a stored token (accessor %s)", name, d.key, d.cur.Current.Accessor), "")
	}
}

// fileModes is check 5: the file modes of the store, the configuration, the mirror.
func (d *doctorRun) fileModes() {
	var modeProblems []string
	modeFix := ""
	for _, err := range d.errs {
		modeProblems = append(modeProblems, oneLine(err.Error()))
		if modeFix == "" {
			modeFix = unsafeFix(err, "")
		}
	}
	for _, p := range []string{d.env.Paths.Config, d.env.Paths.MirrorDef} {
		fi, err := os.Lstat(p)
		if err != nil {
			continue
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0 && p == d.env.Paths.MirrorDef:
			modeProblems = append(modeProblems, fmt.Sprintf("%q is a symlink", p))
			modeFix = fmt.Sprintf("rm %q and run `vault-token-helper renew` to write it again", p)
		case fi.Mode().IsRegular() && fi.Mode().Perm()&0o077 != 0:
			modeProblems = append(modeProblems, fmt.Sprintf("%q has mode %v, readable by others", p, fi.Mode().Perm()))
			if modeFix == "" {
				modeFix = fmt.Sprintf("chmod 600 %q", p)
			}
		}
	}
	if len(modeProblems) == 0 {
		d.add(CheckFileModes, true, "the token store, configuration and ~/.vault-token are private to you", "")
	} else {
		if modeFix == "" {
			modeFix = "make the files 0600 and their directories 0700, owned by you"
		}
		d.add(CheckFileModes, false, strings.Join(modeProblems, "; "), modeFix)
	}
}

// vault is checks 6 and 7: Vault reachable (vault/api reads VAULT_CACERT and the
// other TLS settings, as the CLI does), the stored token valid and ours.
func (d *doctorRun) vault() {
	_, raw := addrVar(d.env)
	switch {
	case d.keyErr != nil || raw == "":
		d.add(CheckReachable, false, "not checked: no usable VAULT_ADDR", "set VAULT_ADDR first")
		d.add(CheckTokenValid, false, "not checked: no usable VAULT_ADDR", "set VAULT_ADDR first")
	default:
		reach, valid := vaultChecks(d.ctx, d.env, d.cfg, d.key, d.cur)
		if d.refused != nil {
			valid.Detail, valid.Fix = "not checked: the token file is refused", unsafeFix(d.refused, "see the file-modes check")
		}
		d.checks = append(d.checks, reach, valid)
	}
}

// scheduler is check 8: the scheduler will run.
func (d *doctorRun) scheduler() {
	ss := schedulerStatus(d.ctx, d.env, d.front)
	ss.LazyRenew = ss.LazyRenew && d.cfg.LazyRenew
	lazy := "on"
	if !ss.LazyRenew {
		lazy = "off"
	}
	if w := ss.Warning(); w != "" {
		d.checks = append(d.checks, Check{Name: CheckScheduler, OK: true, Warning: true, Detail: "warning: " + w})
	} else if ss.Active {
		d.add(CheckScheduler, true, fmt.Sprintf("%s will run renew: %s (lazy renew of get %s)", ss.Kind, ss.Detail, lazy), "")
	} else {
		d.add(CheckScheduler, false, fmt.Sprintf("no scheduler will run renew: %s (lazy renew of get %s, which renews only when you use the CLI)", ss.Detail, lazy), ss.Fix)
	}
}

// mirror is check 9: the mirror in sync.
func (d *doctorRun) mirror() {
	mk := storedMirrorKey(d.cfg, d.states)
	switch {
	case !d.cfg.Mirror:
		d.add(CheckMirror, true, "the ~/.vault-token mirror is off (mirror = false)", "")
	case mk == (store.Key{}):
		d.add(CheckMirror, true, "no address is mirrored to ~/.vault-token (several are stored; set mirror_address to choose)", "")
	default:
		var tok *store.Token
		for _, st := range d.states {
			if st.Key() == mk {
				tok = st.Current
			}
		}
		ms := mirrorState(d.env.Paths.MirrorDef, tok)
		if ms.State == MirrorInSync {
			d.add(CheckMirror, true, fmt.Sprintf("%s holds the token of %s", d.env.Paths.MirrorDef, mk), "")
		} else {
			detail := fmt.Sprintf("%s is %s for %s", d.env.Paths.MirrorDef, ms.State, mk)
			if ms.Detail != "" {
				detail += ": " + ms.Detail
			}
			d.add(CheckMirror, false, detail, "run `vault-token-helper renew`, which heals it")
		}
	}
}

// unsafeFix is the fix an UnsafeError in err names, else def.
func unsafeFix(err error, def string) string {
	var ue *disk.UnsafeError
	if errors.As(err, &ue) {
		return ue.Fix
	}
	return def
}

func vaultChecks(ctx context.Context, env Env, cfg *Config, key store.Key, cur *store.State) (reach, valid Check) {
	reach, valid = Check{Name: CheckReachable}, Check{Name: CheckTokenValid}
	var tok *store.Token
	if cur != nil {
		tok = cur.Current
	}
	// The TLS settings renew and status will use: the environment's, or
	// those recorded with the token.
	r := reachFor(env, tok, true, heal.InteractiveRetry)
	v, err := env.vault(key.Addr, key.Namespace, r.options())
	if err != nil {
		reach.Detail, reach.Fix = "cannot make a Vault client: "+oneLine(err.Error()), "check VAULT_ADDR and VAULT_CACERT / VAULT_CAPATH"
		valid.Detail, valid.Fix = "not checked: Vault is not reachable", reach.Fix
		return reach, valid
	}
	if cur == nil || cur.Current == nil {
		reach.OK, reach.Detail = true, "not checked with a token: none stored for "+key.String()
		valid.Detail, valid.Fix = "no stored token for "+key.String(), "run `vault login`"
		return reach, valid
	}
	ctx, cancel := context.WithTimeout(ctx, StatusTimeout)
	defer cancel()
	info, err := v.LookupSelf(ctx, cur.Current.Token)
	switch {
	case err == nil, errors.Is(err, heal.ErrInvalidToken):
		reach.OK, reach.Detail = true, key.Addr+" answers"
	default:
		reach.Detail = key.Addr + " does not answer: " + oneLine(err.Error())
		reach.Fix = "check VAULT_ADDR, the network, and VAULT_CACERT / VAULT_CAPATH / VAULT_SKIP_VERIFY (the TLS settings the CLI uses)"
		valid.Detail, valid.Fix = "not checked: Vault is not reachable", "fix the connection first"
		return reach, valid
	}
	if err != nil {
		valid.Detail, valid.Fix = "the stored token is not valid: "+oneLine(err.Error()), "run `vault login` again"
		return reach, valid
	}
	spec, _ := cfg.For(key.Addr)
	spec = spec.ForStored(cur.Current)
	if !spec.Ours(info) && cur.Current.Source == store.SourcePassthrough {
		// As status says it: not ours by design, a warning.
		valid.OK, valid.Warning, valid.Detail = true, true, "warning: "+passthroughNote(info, env.Now())
		return reach, valid
	}
	if !spec.Ours(info) {
		valid.Detail, valid.Fix = "the stored token is valid but not ours: "+spec.WhyNotOurs(info), "run `vault login` to mint the periodic token, or fix periodic_token in the configuration"
		return reach, valid
	}
	valid.OK, valid.Detail = true, fmt.Sprintf("the stored token (accessor %s) is valid and ours", info.Accessor)
	return reach, valid
}

// versionsCheck compares the front (the token_helper the CLI runs) with
// the full binary installed next to it: both Go builds of the same
// toolchain, and the same version (the front's --front-version, the full
// binary's version verb).
func versionsCheck(env Env, front string) (name string, ok bool, detail, fix string) {
	name, fix = CheckVersions, "run `vault-token-helper setup` again from one build (make build) to install all three binaries together"
	full := filepath.Join(filepath.Dir(front), installer.FullName)
	a, errA := buildinfo.ReadFile(front)
	b, errB := buildinfo.ReadFile(full)
	switch {
	case errA != nil:
		return name, false, fmt.Sprintf("cannot read the build of %q: %v", front, errA), fix
	case errB != nil:
		return name, false, fmt.Sprintf("cannot read the build of %q: %v", full, errB), fix
	case a.GoVersion != b.GoVersion:
		return name, false, fmt.Sprintf("%s was built with %s but %s with %s", front, a.GoVersion, full, b.GoVersion), fix
	}
	run := env.RunBinary
	out, err := run(front, "--front-version")
	fv := strings.TrimSpace(out)
	if err != nil || fv == "" || strings.ContainsAny(fv, " \n") {
		return name, false, fmt.Sprintf("%s does not say its version (an older build?)", front), fix
	}
	out, err = run(full, "version")
	first, _, _ := strings.Cut(out, "\n")
	uv, ok := strings.CutPrefix(first, helperName+" ")
	if err != nil || !ok {
		return name, false, fmt.Sprintf("%s does not say its version", full), fix
	}
	if fv != uv {
		return name, false, fmt.Sprintf("%s is version %s but %s is %s", front, fv, full, uv), fix
	}
	return name, true, fmt.Sprintf("%s and %s are the same build (%s, %s)", filepath.Base(front), installer.FullName, fv, a.GoVersion), ""
}

// runBinary runs path with args, with no stdin, for at most 10 seconds.
func runBinary(path string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, args...).Output()
	return string(out), err
}

// unrunnableHelper names the token_helper written in a CLI config file
// the CLI cannot run (the path as the file holds it), and says that the
// CLI does not expand ~ when it starts with one. "" when the file has no
// such token_helper.
func unrunnableHelper(c CLIConfigStatus, home string) (detail, fix string) {
	if c.TokenHelper != "" || !strings.Contains(c.Problem, "does not exist") {
		return "", ""
	}
	src, err := os.ReadFile(c.Path)
	var raw struct {
		TokenHelper string `hcl:"token_helper"`
	}
	if err != nil || hcl.Decode(&raw, string(src)) != nil || raw.TokenHelper == "" {
		return "", ""
	}
	if rest, ok := strings.CutPrefix(raw.TokenHelper, "~/"); ok {
		return fmt.Sprintf("%q has token_helper = %q: the %s CLI does not expand ~ and finds no such file", c.Path, raw.TokenHelper, c.CLI),
			fmt.Sprintf("write the absolute path: token_helper = %q (or run `vault-token-helper setup`)", filepath.Join(home, rest))
	}
	return fmt.Sprintf("%q has token_helper = %q: the %s CLI finds no such file (it needs the absolute path of an existing one)", c.Path, raw.TokenHelper, c.CLI),
		"set token_helper to the absolute path of the installed vault-token-helper (or run `vault-token-helper setup`)"
}
