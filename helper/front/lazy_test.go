package front

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/store"
)

var t0 = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

func periodic(period time.Duration, expires time.Time, stored time.Time) *store.Token {
	return &store.Token{Token: "hvs.x", Accessor: "acc", Source: store.SourceMinted, Period: store.Duration(period), StoredAt: stored, ExpireTime: expires}
}

func TestLazyDue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		st   store.State
		want bool
	}{
		{"nothing stored", store.State{}, false},
		{"fresh", store.State{Current: periodic(768*time.Hour, t0.Add(767*time.Hour), t0.Add(-time.Hour))}, false},
		{"expiry closer than half the period", store.State{Current: periodic(2*time.Minute, t0.Add(59*time.Second), t0.Add(-time.Minute))}, true},
		{"expiry just over half the period", store.State{Current: periodic(2*time.Minute, t0.Add(61*time.Second), t0.Add(-time.Minute))}, false},
		{"stored 49h ago, never renewed", store.State{Current: periodic(768*time.Hour, t0.Add(700*time.Hour), t0.Add(-49*time.Hour))}, true},
		{"renewed 47h ago", store.State{
			Current:   periodic(768*time.Hour, t0.Add(700*time.Hour), t0.Add(-100*time.Hour)),
			LastRenew: &store.Renewal{Time: t0.Add(-47 * time.Hour), OK: true},
		}, false},
		{"last renew failed, stored long ago", store.State{
			Current:   periodic(768*time.Hour, t0.Add(700*time.Hour), t0.Add(-100*time.Hour)),
			LastRenew: &store.Renewal{Time: t0.Add(-time.Hour), OK: false},
		}, true},
		{"a passthrough login token is never renewed", store.State{Current: &store.Token{Token: "hvs.x", Source: store.SourcePassthrough, StoredAt: t0.Add(-100 * time.Hour)}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := LazyDue(tt.st, t0); got != tt.want {
				t.Errorf("LazyDue = %v, want %v", got, tt.want)
			}
		})
	}
}

// storeWith writes st for k under a new data directory.
func storeWith(t *testing.T, k store.Key, st store.State) string {
	t.Helper()
	data := filepath.Join(t.TempDir(), "data")
	sess, err := store.New(data).Lock(context.Background(), k, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Save(st); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestMaybeLazyRenew(t *testing.T) {
	t.Parallel()
	k, err := store.NewKey("http://127.0.0.1:8200", "")
	if err != nil {
		t.Fatal(err)
	}
	due := store.State{Current: periodic(2*time.Minute, t0.Add(30*time.Second), t0.Add(-90*time.Second))}
	var started []string
	start := func(renew, addr string) error { started = append(started, renew+" --address "+addr); return nil }

	data := storeWith(t, k, due)
	steps := []struct {
		name string
		now  time.Time
		want int // renews started so far
	}{
		{"first get", t0, 1},
		{"second get right after", t0.Add(time.Second), 1},
		{"59 minutes later", t0.Add(59 * time.Minute), 1},
		{"an hour later", t0.Add(61 * time.Minute), 2},
	}
	for _, s := range steps {
		MaybeLazyRenew(data, store.Namer(), k, due, s.now, "/bin/vault-token-renew", start)
		if len(started) != s.want {
			t.Fatalf("%s: %d renews started, want %d", s.name, len(started), s.want)
		}
	}
	if want := "/bin/vault-token-renew --address http://127.0.0.1:8200"; started[0] != want {
		t.Errorf("started %q, want %q", started[0], want)
	}

	t.Run("lazy_renew = false", func(t *testing.T) {
		t.Parallel()
		data := storeWith(t, k, due)
		if err := os.WriteFile(filepath.Join(data, LazyOffName), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if LazyRenewOn(data) {
			t.Error("LazyRenewOn = true with the marker, want false")
		}
		if MaybeLazyRenew(data, store.Namer(), k, due, t0, "r", func(string, string) error { t.Error("a renew was started"); return nil }) {
			t.Error("MaybeLazyRenew = true, want false")
		}
	})
	t.Run("a stamp that is a symlink", func(t *testing.T) {
		t.Parallel()
		data := storeWith(t, k, due)
		stamp := filepath.Join(filepath.Dir(store.New(data).StatePath(k)), LazyStampName)
		if err := os.Symlink("/dev/null", stamp); err != nil {
			t.Fatal(err)
		}
		if MaybeLazyRenew(data, store.Namer(), k, due, t0, "r", func(string, string) error { t.Error("a renew was started"); return nil }) {
			t.Error("MaybeLazyRenew = true through a symlinked stamp, want false")
		}
	})
	t.Run("a failed start is not get's failure", func(t *testing.T) {
		t.Parallel()
		data := storeWith(t, k, due)
		var out, errOut bytes.Buffer
		lazy := func(key store.Key, st store.State) {
			MaybeLazyRenew(data, store.Namer(), key, st, t0, "r", func(string, string) error { return errors.New("boom") })
		}
		if code := Get(&out, &errOut, k, nil, data, store.Namer(), lazy); code != 0 || out.String() != "hvs.x" || errOut.Len() != 0 {
			t.Errorf("Get = %d, %q, %q; want 0, the token, no stderr", code, out.String(), errOut.String())
		}
	})
}
