// Package helper is the command line of vault-token-helper and
// vault-token-renew: the Vault CLI's token helper protocol, the renew
// run, status, and the configuration file.
//
// Protocol (the Vault CLI runs the helper with exactly one argument):
//   - get: print the token stored for the address and namespace the
//     calling CLI talks to (its -agent-address, VAULT_AGENT_ADDR,
//     -address and -namespace flags, else VAULT_ADDR and VAULT_NAMESPACE,
//     or their BAO_ twins under the bao CLI: front.KeyFor) on stdout with
//     no newline; nothing stored prints
//     nothing. No network, no lock, no configuration. Exit 0, or 1 with
//     one line on stderr when the token file is unsafe (symlink, foreign
//     owner, loose mode) or the server cannot be told for certain.
//     store and erase pick the address the same way.
//   - store: the new token on stdin; heal decides what to keep. Exit 0,
//     or 1 with one line on stderr (refused, bad input, Vault
//     unavailable); on failure nothing stored changes.
//   - erase: forget the stored token (revoking it when this tool minted
//     it). Exit 0, or 1 with one line on stderr. It works with a broken
//     configuration (on the guard recorded with the token), with a warning.
//   - rotate (not called by the CLI): mint a successor of the stored
//     periodic token with its own authority; the old one is revoked after
//     rotate_grace.
//
// Exit codes, decided in exitCode: 0 success, 1 failure, 2 usage.
// stdout carries only the token (get) or the status output; everything
// else goes to stderr and the log, and never a token.
package helper

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/vault-token-helper/vault-token-helper/heal"
)

// Exit codes.
const (
	ExitOK    = 0
	ExitFail  = 1
	ExitUsage = 2
)

// DefaultOperationBound is what operationBound is with the default
// request timeout: 2 × heal.InteractiveRetry.CallBound(heal.DefaultTimeout)
// = 40s.
var DefaultOperationBound = 2 * heal.InteractiveRetry.CallBound(heal.DefaultTimeout)

// DefaultRenewBound is what renewBound is with the default request
// timeout: 2 × heal.UnattendedRetry.CallBound(heal.DefaultTimeout) = 140s.
var DefaultRenewBound = 2 * heal.UnattendedRetry.CallBound(heal.DefaultTimeout)

// Run is vault-token-helper (the full binary; the front one answers get
// itself and executes this for everything else).
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env Env) int {
	// Every token the command learns is redacted from everything it
	// writes but get's answer.
	env = env.resolved()
	tty := isTerminal(stderr) // before the redacting writer hides the terminal
	stderr = env.red.Writer(stderr)
	if len(args) != 1 || args[0] != "get" {
		stdout = env.red.Writer(stdout)
	}
	if len(args) == 0 {
		return usageError(stderr, helperName, "no command given (get, store, erase, status, doctor, renew...)", "")
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "-h", "-help", "--help":
		verb = "help"
	case "-version", "--version":
		verb = "version"
	}
	v, ok := lookupVerb(verb)
	if !ok {
		if strings.HasPrefix(verb, "-") {
			return usageError(stderr, helperName, fmt.Sprintf("unknown flag %s before the command", verb), "")
		}
		return unknownVerb(stderr, verb)
	}
	c := call{ctx: ctx, verb: v.Name, prog: helperName + " " + v.Name, args: rest,
		stdin: stdin, stdout: stdout, stderr: stderr, env: env, tty: tty}
	if !v.OwnHelp && wantsHelp(rest) {
		printVerbHelp(stdout, c.prog, v)
		return ExitOK
	}
	if v.MaxArgs != ownArgs {
		c.flags = flagSet(c.prog, v.Flags)
		if code, done := parseFlags(c.flags, c.prog, rest, v.MaxArgs, stderr); done {
			return code
		}
		c.args = c.flags.Args()
	}
	return v.Run(c)
}

// cliSafe runs a verb the Vault CLI calls (store, erase) and keeps what
// it prints on failure readable there: the CLI shows the helper's output
// quoted with %q (`Error storing token: "...": exit status 1`), so an
// embedded quote or newline would show as \" or \n. When stderr is not a
// terminal (tty false) the output becomes one line, without double quotes.
func cliSafe(stderr io.Writer, tty bool, run func(io.Writer) int) int {
	if tty {
		return run(stderr)
	}
	var buf strings.Builder
	code := run(&buf)
	if out := oneLineForCLI(buf.String()); out != "" {
		io.WriteString(stderr, out)
	}
	return code
}

// oneLineForCLI joins the lines of s with "; ", drops the repeated
// program prefix, and turns double quotes into single ones. No final
// newline: the CLI quotes the output as it is.
func oneLineForCLI(s string) string {
	var parts []string
	for i, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if i > 0 {
			l = strings.TrimPrefix(l, helperName+": ")
		}
		parts = append(parts, oneLine(l))
	}
	return strings.ReplaceAll(strings.Join(parts, "; "), `"`, "'")
}

// fail prints one line for err on stderr and returns the exit code.
func fail(stderr io.Writer, prefix string, err error) int {
	fmt.Fprintf(stderr, "vault-token-helper: %s%s\n", prefix, oneLine(err.Error()))
	return ExitFail
}

// withHint adds what to do next to errors that do not say it already.
func withHint(err error) error {
	switch {
	case errors.Is(err, heal.ErrUnavailable):
		return fmt.Errorf("%w; try again once Vault answers", err)
	case errors.Is(err, heal.ErrInvalidToken):
		return fmt.Errorf("%w; log in again", err)
	}
	return err
}

// oneLine folds white space runs (Vault's multi-line errors) into one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// isTerminal reports whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
