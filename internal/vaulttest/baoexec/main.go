// Command baoexec runs a token helper the way the OpenBao CLI 2.1.0 to
// 2.5.1 does, with only BAO_ADDR and VAULT_ADDR in its environment. It is
// kept for that alone: the real OpenBao the tests build (2.6.2, `make
// bao`; internal/e2e/bao) passes its whole environment, as 2.5.2 and
// later do, so it cannot show the minimal environment. Everything else
// about bao (the CLI's flags, ~/.bao, namespaces, the shell) is tested
// against the real one. The e2e tests build it as an executable named
// "bao", so that the helper sees a bao CLI as its caller, with the test's
// arguments.
//
// Usage: bao <any arguments>, with BAOEXEC_HELPER (the helper's path),
// BAOEXEC_OP (get, store or erase) and BAO_ADDR in the environment. It
// does what openbao/openbao command/token/helper_external.go did in
// those versions: ExecScript(path + " " + op), that is `$SHELL -c "<path>
// <op>"` (/bin/sh when SHELL is unset), with cmd.Env = exactly BAO_ADDR
// and VAULT_ADDR, both set to the address the command uses
// (command/config DefaultTokenHelper(vaultAddr)); here that address is
// BAO_ADDR as given. Its standard streams are the helper's; it exits with
// the helper's code. Its own arguments are only there for the helper to
// read.
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
)

func main() {
	helper, op, addr := os.Getenv("BAOEXEC_HELPER"), os.Getenv("BAOEXEC_OP"), os.Getenv("BAO_ADDR")
	if helper == "" || op == "" {
		fmt.Fprintln(os.Stderr, "baoexec: set BAOEXEC_HELPER and BAOEXEC_OP")
		os.Exit(2)
	}
	shell := "/bin/sh"
	if s := os.Getenv("SHELL"); s != "" {
		shell = s
	}
	// dash forks the helper (the shell is then its parent, the CLI its
	// grandparent); bash executes it in its own place.
	script := helper + " " + op
	cmd := exec.Command(shell, "-c", script)
	cmd.Env = []string{"BAO_ADDR=" + addr, "VAULT_ADDR=" + addr}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			os.Exit(ee.ExitCode())
		}
		fmt.Fprintln(os.Stderr, "baoexec:", err)
		os.Exit(1)
	}
}
