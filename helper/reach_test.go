package helper

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
	"github.com/vault-token-helper/vault-token-helper/store"
)

func TestReachFor(t *testing.T) {
	t.Parallel()
	recorded := &store.TLS{CACert: "/etc/vault/ca.pem"}
	tests := []struct {
		name        string
		env         map[string]string
		cur         *store.Token
		useRecorded bool
		wantTLS     *store.TLS
		wantSource  string
		wantPassed  bool // the recorded settings go to the client
	}{
		{"nothing anywhere", nil, &store.Token{}, true, nil, "", false},
		{"recorded, used", nil, &store.Token{TLS: recorded}, true, recorded, TLSRecorded, true},
		{"recorded, not used by store", nil, &store.Token{TLS: recorded}, false, nil, "", false},
		{"nothing stored", nil, nil, true, nil, "", false},
		{"the environment wins", map[string]string{"VAULT_CACERT": "/other.pem"}, &store.Token{TLS: recorded}, true,
			&store.TLS{CACert: "/other.pem"}, TLSFromEnvironment, false},
		{"the environment wins as a whole", map[string]string{"VAULT_SKIP_VERIFY": "false"}, &store.Token{TLS: recorded}, true,
			nil, TLSFromEnvironment, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := Env{Getenv: func(k string) string { return tt.env[k] }, Dir: "/work"}
			r := reachFor(env, tt.cur, tt.useRecorded, heal.UnattendedRetry)
			if (r.TLS == nil) != (tt.wantTLS == nil) || (r.TLS != nil && *r.TLS != *tt.wantTLS) || r.Source != tt.wantSource {
				t.Errorf("got %+v from %q, want %+v from %q", r.TLS, r.Source, tt.wantTLS, tt.wantSource)
			}
			o := r.options()
			if (o.TLS != nil) != tt.wantPassed || o.Retry != heal.UnattendedRetry {
				t.Errorf("client options %+v: want the recorded settings passed = %v and the unattended policy", o, tt.wantPassed)
			}
		})
	}
}

// Each verb builds its client as documented: store records the TLS
// settings of its environment; renew (unattended retries), status and
// erase (interactive) use the recorded ones without any in theirs; a
// recorded file that is gone does not keep erase from forgetting.
func TestVerbsReachVault(t *testing.T) {
	t.Parallel()
	v := fakevault.New("http://127.0.0.1:8200")
	env := testEnv(t, v)
	vars := map[string]string{"VAULT_CACERT": "ca.pem"}
	inner := env.Getenv
	env.Getenv = func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return inner(k)
	}
	env.Dir = "/home/wizard"
	var (
		mu      sync.Mutex
		got     []heal.ClientOptions
		refuses bool // the client cannot be built with recorded settings
	)
	env.NewVault = func(addr, ns string, o heal.ClientOptions) (heal.Vault, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, o)
		if refuses && o.TLS != nil {
			return nil, errors.New("open /home/wizard/ca.pem: no such file or directory")
		}
		return v, nil
	}
	last := func() heal.ClientOptions {
		mu.Lock()
		defer mu.Unlock()
		return got[len(got)-1]
	}

	if r := runHelper(env, v.Login("wizard", []string{"admin"}, nil, time.Hour), "store"); r.code != ExitOK {
		t.Fatalf("store: %+v", r)
	}
	if o := last(); o.TLS != nil || o.Retry != heal.InteractiveRetry {
		t.Errorf("store: client options %+v, want the environment's TLS (read by vault/api) and interactive retries", o)
	}
	st, err := env.files().List()
	if len(err) != 0 || len(st) != 1 || st[0].Current.TLS == nil || st[0].Current.TLS.CACert != "/home/wizard/ca.pem" {
		t.Fatalf("recorded TLS settings: %+v (%v), want VAULT_CACERT made absolute", st, err)
	}

	delete(vars, "VAULT_CACERT")
	var out, errb strings.Builder
	if code := RunRenew(t.Context(), nil, &out, &errb, env); code != ExitOK {
		t.Fatalf("renew: exit %d\n%s%s", code, out.String(), errb.String())
	}
	if o := last(); o.TLS == nil || o.TLS.CACert != "/home/wizard/ca.pem" || o.Retry != heal.UnattendedRetry {
		t.Errorf("renew: client options %+v, want the recorded CA and unattended retries", o)
	}
	r := runHelper(env, "", "status")
	if o := last(); o.TLS == nil || o.Retry != heal.InteractiveRetry {
		t.Errorf("status: client options %+v, want the recorded CA and interactive retries", o)
	}
	if !strings.Contains(r.stdout, "tls:         VAULT_CACERT=/home/wizard/ca.pem ("+TLSRecorded+")") {
		t.Errorf("status: got\n%s\nwant the recorded settings and where they came from", r.stdout)
	}

	mu.Lock()
	refuses = true
	mu.Unlock()
	r = runHelper(env, "", "erase")
	if r.code != ExitOK || !strings.Contains(r.stderr, "going on without them") {
		t.Errorf("erase with a recorded CA that is gone: got %+v, want exit 0 and a warning", r)
	}
	if o := last(); o.TLS != nil {
		t.Errorf("erase: the last client options %+v, want the environment's", o)
	}
	if r := runHelper(env, "", "get"); r.stdout != "" {
		t.Errorf("get after erase: got %q, want nothing", r.stdout)
	}
}
