package helper

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/helper/sched"
	installer "github.com/vault-token-helper/vault-token-helper/helper/setup"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// setupVerb is `vault-token-helper setup`: package setup with this
// package's paths, address, configuration parser and healer.
func setupVerb(ctx context.Context, args []string, stdout, stderr io.Writer, env Env) int {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		return fail(stderr, "setup: ", err)
	}
	cwd, err := os.Getwd()
	if err != nil {
		return fail(stderr, "setup: ", err)
	}
	senv := installer.Env{
		// Set-but-empty matters for OpenBao's BAO_CONFIG_PATH: OSEnv's is os.LookupEnv.
		LookupEnv: env.LookupEnv,
		Paths: installer.Paths{
			Home:      env.Paths.Home,
			Config:    env.Paths.Config,
			Data:      env.Paths.Data,
			UnitDir:   env.Paths.UnitDir,
			TokenFile: env.Paths.MirrorDef,
			State:     env.Paths.State,
		},
		Cwd:       cwd,
		BinSource: filepath.Dir(exe),
		LookPath:  exec.LookPath,
		Systemctl: func(args ...string) (string, error) {
			ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, "systemctl", append([]string{"--user"}, args...)...).CombinedOutput()
			return string(out), err
		},
		Now:   env.Now,
		Tool:  setupTool{env: env, stderr: stderr},
		Sched: sched.Env{UID: os.Getuid(), Run: runCommand},
		Usage: setupUsage(),
	}
	return installer.Run(ctx, args, stdout, stderr, senv)
}

// setupUsage is setup's --help, from the verb table like every other.
func setupUsage() string {
	v, _ := lookupVerb("setup")
	var b strings.Builder
	printVerbHelp(&b, helperName+" setup", v)
	return b.String()
}

// setupTool is installer.Tool with the code every command runs.
type setupTool struct {
	env    Env
	stderr io.Writer
}

var _ installer.Tool = setupTool{}

func (t setupTool) Addr() (string, store.Key, error) {
	key, err := keyFromEnv(t.env, "setup")
	return t.env.Getenv("VAULT_ADDR"), key, err
}

func (t setupTool) CheckConfig(path string) error {
	_, err := LoadConfig(path)
	return err
}

func (t setupTool) Keep(ctx context.Context, token string) (heal.KeepResult, error) {
	ctx, cancel := context.WithTimeout(ctx, t.env.operationBound())
	defer cancel()
	s, err := newSetup(t.env, t.stderr, "setup", false)
	if err != nil {
		return heal.KeepResult{}, err
	}
	defer s.close()
	return s.healer.KeepToken(ctx, token)
}

func (t setupTool) KeepUnchecked(ctx context.Context, token string) (heal.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, t.env.operationBound())
	defer cancel()
	s, err := newSetup(t.env, t.stderr, "setup", false)
	if err != nil {
		return heal.Result{}, err
	}
	defer s.close()
	return s.healer.KeepTokenUnchecked(ctx, token)
}

func (t setupTool) UninstallToken() (store.Key, string, error) {
	current, err := keyFromEnv(t.env, "setup")
	if err != nil {
		return store.Key{}, "", err
	}
	files := t.env.files()
	states, errs := files.List()
	if len(errs) > 0 {
		return current, "", errs[0]
	}
	key := current
	if cfg, err := LoadConfig(t.env.Paths.Config); err == nil {
		c := *cfg
		c.Mirror = true // the address ~/.vault-token would mirror, even with mirror = false
		if k := mirrorKey(&c, states, current); k != (store.Key{}) {
			key = k
		}
	}
	tok, err := files.Token(key)
	return key, tok, err
}

func (t setupTool) StoredFor(token string) (store.Key, bool) {
	states, _ := t.env.files().List()
	for _, st := range states {
		if st.Current != nil && st.Current.Token != "" && st.Current.Token == token {
			return st.Key(), true
		}
	}
	return store.Key{}, false
}
