package vaulttest

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/hashicorp/vault/api"
)

// StartTLS is Start with HTTPS: a dev server with -dev-tls, whose
// certificate is signed by a CA of its own, written to s.CACert (what a
// client names in VAULT_CACERT). s.Addr is https://127.0.0.1:PORT; the
// fixtures are those of Start.
func StartTLS(t T) *Server {
	t.Helper()
	return startDev(t, true, "127.0.0.1", 0)
}

// newClient is an API client for s with token: NewClient, trusting
// s.CACert when the server speaks TLS.
func (s *Server) newClient(token string) (*api.Client, error) {
	if s.CACert == "" {
		return NewClient(s.Addr, token)
	}
	cfg := &api.Config{Address: s.Addr, MaxRetries: 0, Timeout: 30 * time.Second}
	if err := cfg.ConfigureTLS(&api.TLSConfig{CACert: s.CACert}); err != nil {
		return nil, fmt.Errorf("vault client for %s: %w", s.Addr, err)
	}
	c, err := api.NewClient(cfg)
	if err != nil {
		return nil, err
	}
	c.SetToken(token)
	c.SetNamespace("")
	return c, nil
}

// httpClient is a plain HTTP client for s (trusting s.CACert).
func (s *Server) httpClient(timeout time.Duration) (*http.Client, error) {
	c := &http.Client{Timeout: timeout}
	if s.CACert == "" {
		return c, nil
	}
	pem, err := os.ReadFile(s.CACert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("no certificate in %q", s.CACert)
	}
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return c, nil
}
