package helper

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// echoVault answers every call with a 502 whose body echoes the token
// it was sent, as a misconfigured proxy does; CreateOrphan mints.
type echoVault struct{ heal.Vault }

func (echoVault) Addr() string { return "http://v" }

func (echoVault) echo(op, token string) error {
	return heal.AnswerError("http://v", op, "POST", heal.Answer{Status: 502, Errors: []string{"X-Vault-Token: " + token}, Raw: true})
}

func (e echoVault) LookupSelf(_ context.Context, token string) (heal.TokenInfo, error) {
	return heal.TokenInfo{}, e.echo(heal.OpLookupSelf, token)
}

func (e echoVault) RenewSelf(_ context.Context, token string, _ time.Duration) (time.Duration, error) {
	return 0, e.echo(heal.OpRenewSelf, token)
}

func (e echoVault) RevokeSelf(_ context.Context, token string) error {
	return e.echo(heal.OpRevokeSelf, token)
}

func (echoVault) CreateOrphan(context.Context, string, heal.MintRequest) (heal.Minted, error) {
	return heal.Minted{Token: "minted-token-000000000000", Accessor: "acc-minted"}, nil
}

func TestRedactVault(t *testing.T) {
	t.Parallel()
	const login = "login-token-0000000000000"
	red := store.NewRedactor()
	v := edgeVault{v: echoVault{}, red: red, now: time.Now}
	ctx := context.Background()
	_, lerr := v.LookupSelf(ctx, login)
	_, rerr := v.RenewSelf(ctx, login, time.Hour)
	for _, err := range []error{lerr, rerr, v.RevokeSelf(ctx, login)} {
		if err == nil || strings.Contains(err.Error(), login) || !strings.Contains(err.Error(), store.Redacted) {
			t.Errorf("got %v, want the echoed token redacted", err)
		}
		if !errors.Is(err, heal.ErrUnavailable) {
			t.Errorf("errors.Is(%v, ErrUnavailable): got false, want true", err)
		}
	}
	if _, err := v.CreateOrphan(ctx, login, heal.MintRequest{}); err != nil {
		t.Fatal(err)
	}
	if got, want := red.String("x minted-token-000000000000"), "x <redacted token, accessor acc-minted>"; got != want {
		t.Errorf("a minted token: got %q, want %q", got, want)
	}
}

// With a log, the same decorator logs every call at debug level: the
// operation, its duration and outcome, the accessor; the token never,
// not even inside the echoed error.
func TestEdgeVaultLogsEveryCall(t *testing.T) {
	t.Parallel()
	const login = "login-token-0000000000000"
	var buf bytes.Buffer
	now := time.Unix(0, 0)
	clock := func() time.Time { now = now.Add(time.Second); return now }
	v := edgeVault{v: echoVault{}, red: store.NewRedactor(), now: clock,
		log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	ctx := context.Background()
	_, _ = v.LookupSelf(ctx, login)
	_, _ = v.CreateOrphan(ctx, login, heal.MintRequest{Policies: []string{"admin"}})
	out := buf.String()
	if strings.Contains(out, login) || strings.Contains(out, "minted-token-000000000000") {
		t.Errorf("the debug lines hold a token:\n%s", out)
	}
	for _, want := range []string{"op=lookup-self", "duration=1s", "error=", "op=create-orphan", "accessor=acc-minted", "policies=[admin]"} {
		if !strings.Contains(out, want) {
			t.Errorf("the debug lines lack %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("got %d lines, want one per call (2):\n%s", n, out)
	}
}

func TestRedactHandler(t *testing.T) {
	t.Parallel()
	const tok = "stored-token-000000000000"
	red := store.NewRedactor()
	red.Add(tok, "acc-1")
	var buf bytes.Buffer
	log := slog.New(redactHandler{h: slog.NewTextHandler(&buf, nil), red: red}).With("with", "w "+tok)
	log.Info("MSG "+tok, "string", "s "+tok, "error", errors.New("e "+tok), "list", []string{tok},
		slog.Group("g", "inner", tok), "n", 3)
	out := buf.String()
	if strings.Contains(out, tok) {
		t.Errorf("the log line holds the token:\n%s", out)
	}
	if n := strings.Count(out, "accessor acc-1"); n != 6 {
		t.Errorf("got %d redactions naming the accessor, want 6:\n%s", n, out)
	}
	if !strings.Contains(out, "n=3") {
		t.Errorf("other attributes lost:\n%s", out)
	}
}

// A FIFO at the log path: the log is refused at once with a warning
// saying why, and the command goes on without it.
func TestOpenLogRefusesFIFO(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := Env{Getenv: func(string) string { return "" },
		Paths: Paths{State: dir, LogFile: filepath.Join(dir, "vault-token-helper.log")}}.withRedactor()
	mkfifo(t, env.Paths.LogFile)
	done := make(chan string, 1)
	go func() {
		log, closeLog, warn := openLog(env)
		log.Info("after the refusal")
		closeLog()
		done <- warn
	}()
	select {
	case warn := <-done:
		if !strings.Contains(warn, "no log") || !strings.Contains(warn, "not a regular file") || !strings.Contains(warn, env.Paths.LogFile) {
			t.Errorf("warning: got %q, want one naming the log and saying it is not a regular file", warn)
		}
	case <-time.After(time.Minute):
		t.Fatal("openLog blocked on a FIFO")
	}
	fi, err := os.Lstat(env.Paths.LogFile)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced (%v)", err)
	}
}
