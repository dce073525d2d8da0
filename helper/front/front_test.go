package front

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGetEmptyStore(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"VAULT_ADDR": "http://127.0.0.1:8200"}
	code := Get(&stdout, &stderr, func(k string) string { return env[k] }, filepath.Join(t.TempDir(), "vault-token-helper"))
	if code != 0 || stdout.Len() != 0 || stderr.Len() != 0 {
		t.Fatalf("Get on an empty store: exit %d, stdout %q, stderr %q; want 0 and nothing", code, stdout.String(), stderr.String())
	}
}

func TestGetBadAddress(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"VAULT_ADDR": "vault.example.com:8200"}
	code := Get(&stdout, &stderr, func(k string) string { return env[k] }, t.TempDir())
	if code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "no scheme") || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("Get with a bad VAULT_ADDR: exit %d, stdout %q, stderr %q; want 1 and one line", code, stdout.String(), stderr.String())
	}
}

func TestMainRunsFullForOtherVerbs(t *testing.T) {
	// With no full binary next to the test executable, every verb but get
	// fails with one line that says how to fix it.
	if _, err := os.Stat(filepath.Join(filepath.Dir(os.Args[0]), FullName)); err == nil {
		t.Skip("a vault-token-helper-full sits next to the test binary")
	}
	var stdout, stderr bytes.Buffer
	code := Main([]string{"status"}, &stdout, &stderr, func(string) string { return "" })
	if code != 1 || !strings.Contains(stderr.String(), FullName) || !strings.Contains(stderr.String(), "install.sh") {
		t.Fatalf("Main(status) without the full binary: exit %d, stderr %q", code, stderr.String())
	}
}
