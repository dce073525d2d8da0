package helper

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
)

// downVault is a Vault that is down: every lookup waits until released,
// then fails as a refused connection does after its retries.
type downVault struct {
	heal.Vault
	release chan struct{}
}

func (d downVault) LookupSelf(ctx context.Context, token string) (heal.TokenInfo, error) {
	select {
	case <-d.release:
	case <-ctx.Done():
	}
	return heal.TokenInfo{}, &heal.VaultError{Addr: d.Addr(), Op: heal.OpLookupSelf, Detail: "dial tcp 127.0.0.1:8200: connect: connection refused", Kind: heal.ErrUnavailable, Attempts: 9, Took: time.Minute}
}

// syncWriter lets the test read what renew wrote so far.
type syncWriter struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu <- struct{}{}
	defer func() { <-w.mu }()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu <- struct{}{}
	defer func() { <-w.mu }()
	return w.buf.String()
}

// TestRenewSaysWhatItWaitsFor: with Vault down, renew says within its
// notice (injected here) what it is waiting for, while it still waits,
// and ends with what to do (issue 21, friction 7).
func TestRenewSaysWhatItWaitsFor(t *testing.T) {
	t.Parallel()
	env, v := storedEnv(t)
	down := downVault{Vault: v, release: make(chan struct{})}
	env.NewVault = func(addr, ns string, _ heal.ClientOptions) (heal.Vault, error) { return down, nil }
	env = env.withRedactor()
	states, errs := env.files().List()
	if len(states) != 1 || len(errs) != 0 {
		t.Fatalf("store: got %d states, errors %v; want one", len(states), errs)
	}
	out := &syncWriter{mu: make(chan struct{}, 1)}
	progress := &syncWriter{mu: make(chan struct{}, 1)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	done := make(chan bool, 1)
	go func() {
		ok, _ := renewAddress(context.Background(), env, DefaultConfig(), false, log, states[0], true, heal.RenewOptions{}, 20*time.Millisecond, out, progress)
		done <- ok
	}()
	// While the lookup still waits: the notice on stderr, no result yet.
	deadline := time.After(time.Minute)
	for progress.String() == "" {
		select {
		case <-deadline:
			t.Fatal("no notice while renew waits")
		case <-time.After(5 * time.Millisecond):
		}
	}
	notice := progress.String()
	want := "vault-token-renew: http://127.0.0.1:8200: waiting for Vault to answer the lookup of the stored token (no answer for "
	if !strings.HasPrefix(notice, want) || !strings.Contains(notice, "Ctrl-C stops it") || strings.Count(notice, "\n") != 1 {
		t.Errorf("notice: got %q, want one line starting %q", notice, want)
	}
	if got := out.String(); got != "" {
		t.Errorf("stdout while renew waits: got %q, want nothing yet", got)
	}
	close(down.release)
	var ok bool
	select {
	case ok = <-done:
	case <-time.After(time.Minute):
		t.Fatal("renew did not end after Vault failed")
	}
	// One line names the cause and ends with what to do.
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if ok || len(lines) != 1 || !strings.HasPrefix(lines[0], "ERROR http://127.0.0.1:8200: ") || !strings.Contains(lines[0], "connection refused") ||
		!strings.Contains(lines[0], "; not renewed, nothing changed: the stored token expires in ") || !strings.HasSuffix(lines[0], "then run vault-token-renew again") {
		t.Errorf("got healthy %v and stdout %q, want unhealthy, one ERROR line naming the cause and ending with what to do", ok, lines)
	}
	if strings.Count(progress.String(), "\n") != 1 {
		t.Errorf("stderr: got %q, want the notice once", progress.String())
	}
	t.Logf("renew said:\n%s%s", progress.String(), out.String())
}
