package helper

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
)

// testEnv is an Env with its own HOME and a fake Vault: helper.Run and
// RunRenew driven in process, nothing read from the process.
func testEnv(t *testing.T, v *fakevault.Vault) Env {
	t.Helper()
	vars := map[string]string{"HOME": t.TempDir(), "VAULT_ADDR": "http://127.0.0.1:8200"}
	getenv := func(k string) string { return vars[k] }
	return Env{
		Getenv:   getenv,
		Paths:    PathsFromEnv(getenv),
		Now:      time.Now,
		Hostname: "devvm",
		User:     "wizard",
		Version:  "test",
		NewVault: func(addr, ns string, _ heal.ClientOptions) (heal.Vault, error) { return v, nil },
	}
}

type run struct {
	code           int
	stdout, stderr string
}

func runHelper(env Env, stdin string, args ...string) run {
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, strings.NewReader(stdin), &out, &errb, env)
	return run{code, out.String(), errb.String()}
}

func TestRunInProcess(t *testing.T) {
	t.Parallel()
	v := fakevault.New("http://127.0.0.1:8200")
	env := installed(t, testEnv(t, v))
	admin := v.Login("wizard", []string{"admin"}, nil, time.Hour)

	if r := runHelper(env, ""); r.code != ExitUsage {
		t.Errorf("no verb: got exit %d, want %d", r.code, ExitUsage)
	}
	if r := runHelper(env, "", "get"); r.code != ExitOK || r.stdout != "" {
		t.Errorf("get before store: got %+v, want exit 0 and nothing", r)
	}
	if r := runHelper(env, admin+"\n", "store"); r.code != ExitOK {
		t.Fatalf("store: got %+v, want exit 0", r)
	}
	got := runHelper(env, "", "get")
	if got.code != ExitOK || got.stdout == "" || got.stdout == admin {
		t.Fatalf("get: got %+v, want the minted periodic token", got)
	}
	if r := runHelper(env, v.Login("jane", []string{"default"}, nil, time.Hour), "store"); r.code != ExitFail || !strings.Contains(r.stderr, "refused") {
		t.Errorf("weak store: got %+v, want exit 1 and a refusal", r)
	}
	st := runHelper(env, "", "status", "--json")
	var rep Status
	if err := json.Unmarshal([]byte(st.stdout), &rep); err != nil || st.code != ExitOK || len(rep.Addresses) != 1 || !rep.Addresses[0].Ours {
		t.Errorf("status: got %+v (%v), want one healthy address of ours", st, err)
	}
	if strings.Contains(st.stdout, got.stdout) {
		t.Error("status printed the token")
	}

	var out, errb bytes.Buffer
	if code := RunRenew(context.Background(), nil, &out, &errb, env); code != ExitOK || !strings.HasPrefix(out.String(), heal.EventRenewed+" renewed") {
		t.Errorf("renew: got exit %d\n%s%s\nwant exit 0 and an OK line", code, out.String(), errb.String())
	}
	if r := runHelper(env, "", "erase"); r.code != ExitOK {
		t.Errorf("erase: got %+v, want exit 0", r)
	}
	if r := runHelper(env, "", "get"); r.stdout != "" {
		t.Errorf("get after erase: got %q, want nothing", r.stdout)
	}
	logFile := filepath.Join(env.Paths.State, "vault-token-helper.log")
	if env.Paths.LogFile != logFile {
		t.Errorf("log file %q, want %q", env.Paths.LogFile, logFile)
	}
}

func TestRunLockWaitFromEnv(t *testing.T) {
	t.Parallel()
	v := fakevault.New("http://127.0.0.1:8200")
	env := testEnv(t, v)
	inner := env.Getenv
	env.Getenv = func(k string) string {
		if k == LockWaitEnv {
			return "soon"
		}
		return inner(k)
	}
	r := runHelper(env, v.Login("wizard", []string{"admin"}, nil, time.Hour), "store")
	if r.code != ExitFail || !strings.Contains(r.stderr, LockWaitEnv) {
		t.Errorf("store: got %+v, want exit 1 naming %s", r, LockWaitEnv)
	}
}
