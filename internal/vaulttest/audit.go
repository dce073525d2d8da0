package vaulttest

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/vault/api"
)

// Audit is a file audit device of a Server that logs raw values: every
// request's client token appears unhashed, so a test can tell which
// server a token was sent to.
type Audit struct {
	Path string
}

// EnableRawAudit enables a file audit device with log_raw=true, as root
// (`vault audit enable file file_path=... log_raw=true`).
func (s *Server) EnableRawAudit(t T) *Audit {
	t.Helper()
	a := &Audit{Path: filepath.Join(t.TempDir(), "audit.log")}
	err := s.Root(t).Sys().EnableAuditWithOptions("file", &api.EnableAuditOptions{
		Type:    "file",
		Options: map[string]string{"file_path": a.Path, "log_raw": "true"},
	})
	if err != nil {
		t.Fatalf("enable the raw file audit device of %s: %v", s.Addr, err)
	}
	return a
}

// Text is the audit log so far.
func (a *Audit) Text(t T) string {
	t.Helper()
	b, err := os.ReadFile(a.Path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("read the audit log: %v", err)
	}
	return string(b)
}

// Contains reports whether the audit log holds s (a token or an accessor).
func (a *Audit) Contains(t T, s string) bool {
	t.Helper()
	return s != "" && strings.Contains(a.Text(t), s)
}
