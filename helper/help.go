package helper

// Help: the usage lines, each verb's --help, the one-line answer to a
// command line that means nothing ("did you mean"), and version: all made
// from the verb table of cli.go.

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/vault-token-helper/vault-token-helper/helper/version"
)

var helpFlag = flagDoc{Name: "help", Help: "show this help"}

const helperName = "vault-token-helper"

// printHelp is the help of vault-token-helper: every verb in one line.
func printHelp(w io.Writer) {
	fmt.Fprintf(w, "usage: %s COMMAND [FLAGS]\n\n", helperName)
	fmt.Fprintln(w, "A token helper for the Vault (and OpenBao) CLI: `vault login` once, and a periodic token")
	fmt.Fprintln(w, "renewed every night is used from then on. Configure it in ~/.vault (or $VAULT_CONFIG_PATH):")
	fmt.Fprintf(w, "  token_helper = \"/absolute/path/to/%s\"\n\nCommands:\n", helperName)
	for _, v := range verbTable() {
		fmt.Fprintf(w, "  %-13s %s\n", v.Name, v.Summary)
	}
	fmt.Fprintf(w, `
Run '%[1]s COMMAND --help' for the flags of one command; flags are written
--flag (-flag is accepted too).

Configuration: $XDG_CONFIG_HOME/vault-token-helper/config.hcl or $VAULT_TOKEN_HELPER_CONFIG
Log: $XDG_STATE_HOME/vault-token-helper/vault-token-helper.log
`, helperName)
}

// usageLine is "usage: PROG VERB [--flag ARG]... ARGS".
func usageLine(prog string, v verbDoc) string {
	var b strings.Builder
	b.WriteString("usage: " + prog)
	for _, f := range v.Flags {
		b.WriteString(" [--" + f.Name)
		if f.Arg != "" {
			b.WriteString(" " + f.Arg)
		}
		b.WriteString("]")
	}
	if v.Args != "" {
		b.WriteString(" " + v.Args)
	}
	return b.String()
}

// printVerbHelp is the help of one verb; prog is the program (and verb)
// as the user typed it.
func printVerbHelp(w io.Writer, prog string, v verbDoc) {
	fmt.Fprintln(w, usageLine(prog, v))
	fmt.Fprintln(w)
	text := v.Long
	if text == "" {
		text = v.Summary
	}
	fmt.Fprintln(w, wrap(text, 76, ""))
	flags := append(append([]flagDoc{}, v.Flags...), helpFlag)
	fmt.Fprintln(w, "\nFlags:")
	for _, f := range flags {
		name := "--" + f.Name
		if f.Arg != "" {
			name += " " + f.Arg
		}
		if f.Name == "help" {
			name = "-h, --help"
		}
		help := strings.TrimPrefix(wrap(f.Help, 78, strings.Repeat(" ", 25)), strings.Repeat(" ", 25))
		fmt.Fprintf(w, "  %-22s %s\n", name, help)
	}
}

// wrap breaks text into lines of at most width columns.
func wrap(text string, width int, indent string) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(text) {
		switch {
		case i == 0:
			b.WriteString(indent)
			n = len(indent)
		case n+1+len(word) > width:
			b.WriteString("\n" + indent)
			n = len(indent)
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += len(word)
	}
	return b.String()
}

// usageError is the short answer to a command line that means nothing:
// what was wrong, a suggestion when one is close, and where the help is.
func usageError(w io.Writer, prog, problem string, suggestion string) int {
	msg := prog + ": " + problem
	if suggestion != "" {
		msg += "; did you mean " + suggestion + "?"
	}
	fmt.Fprintln(w, msg)
	fmt.Fprintf(w, "%s (--help for more)\n", shortUsage(prog))
	return ExitUsage
}

// otherVerbs are verbs a newcomer tries that belong to another program,
// each with what to do instead.
var otherVerbs = map[string]string{
	"login":  "log in with `vault login`, which hands the token to store",
	"logout": "erase forgets the stored token (and revokes it when this tool minted it)",
}

// unknownVerb is the answer to a verb that is not in the table: the
// closest verb, or what to do instead, and every verb, so that a guess
// close to none (login) still shows what there is.
func unknownVerb(w io.Writer, verb string) int {
	msg := fmt.Sprintf("%s: unknown command %q", helperName, verb)
	if instead, ok := otherVerbs[verb]; ok {
		msg += ": " + instead
	} else if s := suggestVerb(verb); s != "" {
		msg += "; did you mean " + s + "?"
	}
	verbs := verbTable()
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = v.Name
	}
	fmt.Fprintln(w, msg)
	fmt.Fprintf(w, "usage: %s COMMAND [FLAGS]; commands: %s (--help for more)\n", helperName, strings.Join(names, ", "))
	return ExitUsage
}

// shortUsage is the usage line of prog: a verb of vault-token-helper,
// vault-token-renew, or vault-token-helper itself.
func shortUsage(prog string) string {
	if _, verb, ok := strings.Cut(prog, " "); ok {
		if v, ok := lookupVerb(verb); ok {
			return usageLine(prog, v)
		}
	}
	if prog == "vault-token-renew" {
		return usageLine(prog, verbDoc{Flags: renewFlags})
	}
	return "usage: " + prog + " COMMAND [FLAGS]"
}

// suggestVerb is the verb closest to a mistyped one, "" when none is
// close enough (at most 2 edits, or a prefix).
func suggestVerb(typed string) string {
	best, bestD := "", 3
	for _, v := range verbTable() {
		if strings.HasPrefix(v.Name, typed) && len(typed) >= 2 {
			return v.Name
		}
		if d := editDistance(typed, v.Name); d < bestD {
			best, bestD = v.Name, d
		}
	}
	return best
}

// editDistance is the Damerau-Levenshtein distance (optimal string
// alignment): a swap of two letters, as in stauts, counts once.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// printVersion prints the release (or dev), the commit and the Go version,
// and for a build that was stamped with no release a last line saying so.
// The first line is "PROG VERSION" with VERSION one word: doctor compares
// it with the front's --front-version (package version resolves both).
func printVersion(w io.Writer, prog string, env Env) {
	b := version.Of(env.Version, env.Commit)
	fmt.Fprintf(w, "%s %s\ncommit %s\n%s %s/%s\n", prog, b.Version, b.Commit, b.GoVersion, runtime.GOOS, runtime.GOARCH)
	if b.Development() {
		fmt.Fprintf(w, "development build: no release version was stamped (make dist, make build and ./install.sh stamp one)\n")
	}
}
