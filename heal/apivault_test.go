package heal_test

import (
	"context"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
	"github.com/vault-token-helper/vault-token-helper/internal/fakevault"
)

// overHTTP is the fake reached through heal.APIVault and the fake's HTTP
// API: the client's requests, answers and classification, end to end.
type overHTTP struct {
	*heal.APIVault
	fake *fakevault.Vault
}

func (o overHTTP) Root() string                           { return o.fake.Root() }
func (o overHTTP) SetPolicy(n string, p fakevault.Policy) { o.fake.SetPolicy(n, p) }
func (o overHTTP) Login(u string, p, ip []string, ttl time.Duration) string {
	return o.fake.Login(u, p, ip, ttl)
}

func newOverHTTP(t *testing.T) overHTTP {
	t.Helper()
	fake := fakevault.New("")
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	api, err := heal.NewAPIVault(srv.URL, "", heal.ClientOptions{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return overHTTP{APIVault: api, fake: fake}
}

// TestAPIVaultMatchesTheFake: the real client, over HTTP, says what the
// fake says directly, for every scenario.
func TestAPIVaultMatchesTheFake(t *testing.T) {
	t.Parallel()
	for _, sc := range fakevault.Scenarios {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			direct := fakevault.New("")
			fakevault.SetUp(direct)
			o := newOverHTTP(t)
			fakevault.SetUp(o)
			want := sc.Run(ctx, direct)
			got := sc.Run(ctx, o)
			if !slices.Equal(got, want) {
				t.Errorf("over HTTP:\n%s\nwant (direct):\n%s", lines(got), lines(want))
			}
		})
	}
}

func lines(l []string) string {
	s := ""
	for _, x := range l {
		s += "  " + x + "\n"
	}
	return s
}
