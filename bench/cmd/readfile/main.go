// Command readfile prints one file on stdout: the floor for any token
// helper written in Go (the runtime starts, one read, one write). The
// benchmark in package bench runs it next to cat and
// `vault-token-helper get`; it is not part of the product.
//
// Usage: readfile FILE. Exit 0, 1 when the file cannot be read, 2 for
// bad arguments.
package main

import (
	"io"
	"os"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		io.WriteString(stderr, "usage: readfile FILE\n")
		return 2
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		io.WriteString(stderr, "readfile: "+err.Error()+"\n")
		return 1
	}
	if _, err := stdout.Write(b); err != nil {
		return 1
	}
	return 0
}
