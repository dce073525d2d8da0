// Command firstget times, inside one fresh process, the lookup that
// `vault-token-helper get` (the front) makes after its start-up: the
// front's disk.Namer computing the key of VAULT_ADDR and VAULT_NAMESPACE,
// and disk.Read under $XDG_DATA_HOME/vault-token-helper, twice. The first
// call pays for everything used for the first time in the process; the
// second is the warm cost that the in-process benchmarks see. With
// -decode-first it first decodes the state file with disk.Decode alone
// and times that, to show how much of the first call is the decoder's
// first use. It links what the front links (package store/disk), so that
// its start-up is the front's.
//
// The benchmark in package bench runs it; it is not part of the product.
// It prints one line, "decode=NS first=NS second=NS" (decode=0 without
// -decode-first). Exit 0, 1 when the lookup fails or finds no token, 2
// for bad arguments.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/vault-token-helper/vault-token-helper/helper/basedir"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv)) }

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	decodeFirst := false
	switch {
	case len(args) == 1 && args[0] == "-decode-first":
		decodeFirst = true
	case len(args) != 0:
		fmt.Fprintln(stderr, "usage: firstget [-decode-first]")
		return 2
	}
	root := filepath.Join(basedir.Of(getenv).Data, "vault-token-helper")
	var n disk.Namer // the front's: neither IDNA nor SHA-256
	var decode time.Duration
	if decodeFirst {
		key, err := n.NewKey(getenv("VAULT_ADDR"), getenv("VAULT_NAMESPACE"))
		if err != nil {
			fmt.Fprintf(stderr, "firstget: %v\n", err)
			return 1
		}
		p, err := disk.StatePath(root, n, key)
		if err != nil {
			fmt.Fprintf(stderr, "firstget: %v\n", err)
			return 1
		}
		b, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintf(stderr, "firstget: %v\n", err)
			return 1
		}
		start := time.Now()
		_, err = disk.Decode(p, b)
		decode = time.Since(start)
		if err != nil {
			fmt.Fprintf(stderr, "firstget: %v\n", err)
			return 1
		}
	}
	var took [2]time.Duration
	for i := range took {
		start := time.Now()
		key, err := n.NewKey(getenv("VAULT_ADDR"), getenv("VAULT_NAMESPACE"))
		if err != nil {
			fmt.Fprintf(stderr, "firstget: %v\n", err)
			return 1
		}
		st, err := disk.Read(root, os.Geteuid(), n, key)
		took[i] = time.Since(start)
		if err != nil {
			fmt.Fprintf(stderr, "firstget: %v\n", err)
			return 1
		}
		if st.Current == nil || st.Current.Token == "" {
			fmt.Fprintln(stderr, "firstget: no token stored for VAULT_ADDR")
			return 1
		}
	}
	fmt.Fprintf(stdout, "decode=%d first=%d second=%d\n", decode.Nanoseconds(), took[0].Nanoseconds(), took[1].Nanoseconds())
	return 0
}
