package bench

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/helper"
	"github.com/vault-token-helper/vault-token-helper/store"
)

// These benchmarks run `get` in process: what the code costs without a
// process start. They run only with -bench (bench/run.sh does); they
// assert nothing about time.

const benchAddr = "http://127.0.0.1:8200"

// newTokenStore makes a store under a temporary directory holding one
// token for benchAddr, written the way the helper writes it.
func newTokenStore(b *testing.B) (data string, key store.Key, token string) {
	b.Helper()
	data = filepath.Join(b.TempDir(), "vault-token-helper")
	key, err := store.NewKey(benchAddr, "")
	if err != nil {
		b.Fatal(err)
	}
	token = "hvs." + strings.Repeat("x", 90)
	files := store.New(data)
	sess, err := files.Lock(context.Background(), key, time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer sess.Close()
	st := store.State{Current: &store.Token{
		Token: token, Accessor: "bench-accessor", DisplayName: "token-bench",
		Policies: []string{"default", "vault-admin"}, Source: store.SourceMinted,
		Period: store.Duration(768 * time.Hour), StoredAt: time.Now().UTC(),
	}}
	if err := sess.Save(st); err != nil {
		b.Fatal(err)
	}
	return data, key, token
}

// BenchmarkFilesToken is the store's side of `get`: checks of three
// directories and the file, one read, one JSON decode.
func BenchmarkFilesToken(b *testing.B) {
	data, key, want := newTokenStore(b)
	files := store.New(data)
	for b.Loop() {
		got, err := files.Token(key)
		if err != nil || got != want {
			b.Fatalf("Token: got %q, %v; want the stored token", got, err)
		}
	}
}

// BenchmarkHelperGet is the `get` verb through helper.Run, with the
// environment built once, as main does before calling Run.
func BenchmarkHelperGet(b *testing.B) {
	data, _, _ := newTokenStore(b)
	env := helper.Env{
		Getenv: func(k string) string {
			if k == "VAULT_ADDR" {
				return benchAddr
			}
			return ""
		},
		Paths: helper.Paths{Data: data},
	}
	for b.Loop() {
		if code := helper.Run(context.Background(), []string{"get"}, nil, io.Discard, io.Discard, env); code != helper.ExitOK {
			b.Fatalf("get: got exit %d, want %d", code, helper.ExitOK)
		}
	}
}
