package helper

// The command line: one table of verbs and flags, from which dispatch,
// flag parsing, the help, the "did you mean" suggestions, the shell
// completions and the man page are all made, so they cannot disagree
// with each other (TestEveryFlagEverywhere checks the four outputs).
//
// A hand-written table, not a CLI library: the Vault CLI runs the helper
// with exactly one bare verb, the front binary that answers get must not
// link more than the store, and the flags are parsed by the standard flag
// package, which accepts both --address and -address (the Vault CLI's own
// style) so nothing documented before stops working. Help, suggestions,
// completion for three shells and a man page come to about 300 lines
// here; a library would add three modules to the one binary that has to
// be audited for where a token may go.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	installer "github.com/vault-token-helper/vault-token-helper/helper/setup"
	"github.com/vault-token-helper/vault-token-helper/helper/version"
)

// flagDoc documents one flag of a verb; Name has no dashes.
type flagDoc struct {
	Name, Arg, Help string
	// Values completes Arg (shell completion); "file" completes a path.
	Values []string
	// Many: the flag may be given more than once (its values: manyFlag).
	Many bool
}

// verbDoc documents one verb of vault-token-helper.
type verbDoc struct {
	Name    string
	Args    string // positional arguments in the usage line
	Summary string // one line, in the list of commands
	Long    string // paragraphs of the verb's help
	Flags   []flagDoc
	// ArgValues completes the positional argument; "file" completes a path.
	ArgValues []string
	// MaxArgs is how many positional arguments may follow the flags;
	// ownArgs: the verb parses its arguments itself (renew: also
	// vault-token-renew's; setup: package setup, from setup.Flags).
	MaxArgs int
	// OwnHelp: the verb prints its --help itself (renew adds its events).
	OwnHelp bool
	// Run carries out the verb, its flags parsed into c.Flags.
	Run func(c call) int
}

// ownArgs is MaxArgs of a verb that parses its arguments itself.
const ownArgs = -1

// call is one run of a verb: what Run got, and the verb's flags parsed.
type call struct {
	ctx            context.Context
	verb, prog     string
	args           []string // positional arguments (all arguments: ownArgs)
	flags          *flag.FlagSet
	stdin          io.Reader
	stdout, stderr io.Writer
	env            Env
	tty            bool // stderr is a terminal
}

// on is the value of a flag of the table that takes none.
func (c call) on(name string) bool { return c.flags.Lookup(name).Value.(flag.Getter).Get().(bool) }

// value is the value of a flag of the table that takes one.
func (c call) value(name string) string { return c.flags.Lookup(name).Value.String() }

// flagSet is a FlagSet with the flags of the table: a flag with an Arg
// takes a string, one without is a bool.
func flagSet(name string, flags []flagDoc) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	for _, f := range flags {
		switch {
		case f.Arg == "":
			fs.Bool(f.Name, false, f.Help)
		case f.Many:
			fs.Var(new(manyFlag), f.Name, f.Help)
		default:
			fs.String(f.Name, "", f.Help)
		}
	}
	return fs
}

// manyFlag is the value of a flag given once per value.
type manyFlag []string

func (m *manyFlag) String() string     { return strings.Join(*m, ",") }
func (m *manyFlag) Set(v string) error { *m = append(*m, v); return nil }

var helpFlag = flagDoc{Name: "help", Help: "show this help"}

// renewFlags are vault-token-renew's flags, also those of the renew verb.
var renewFlags = []flagDoc{
	{Name: "address", Arg: "URL", Help: "renew only this Vault address (as in VAULT_ADDR)"},
	{Name: "scan", Help: "also list every token and revoke the other tokens with our display name that this installation minted for the address (needs list on auth/token/accessors)"},
	{Name: "dry-run", Help: "say what would be done; change nothing"},
	{Name: "revoke", Arg: "ACCESSOR", Many: true, Help: "with --scan, also revoke this token with our display name that no metadata attributes to this installation (a hand-made leftover); repeat for several"},
	{Name: "metrics-file", Arg: "PATH", Values: []string{"file"}, Help: "write the Prometheus textfile PATH (absolute) after the run; overrides metrics_file"},
}

// verbTable is every verb of vault-token-helper, in the order of the help.
func verbTable() []verbDoc {
	return []verbDoc{
		{Name: "get", Run: func(c call) int { return get(c.stdout, c.stderr, c.env) }, Summary: "print the token stored for the address the calling CLI uses",
			Long: "Prints the token stored for the address (and namespace) the calling CLI talks to: its -address and -namespace flags, else VAULT_ADDR and VAULT_NAMESPACE. No newline; nothing stored prints nothing. The Vault CLI runs it before every command."},
		{Name: "store", Run: cliVerb(storeVerb), Summary: "keep a login token read on stdin (mints the periodic token)",
			Long: "Reads a login token on stdin, mints a periodic token from it and keeps that; refuses a token that cannot mint while a valid one is kept. The Vault CLI runs it after `vault login`."},
		{Name: "erase", Run: cliVerb(func(ctx context.Context, _ string, _ io.Reader, stderr io.Writer, env Env) int {
			return erase(ctx, stderr, env)
		}), Summary: "forget the stored token (revokes it if this tool minted it)",
			Long: "Forgets the token stored for the address the calling CLI uses, revoking it when this tool minted it, and says in one line what it did."},
		{Name: "rotate", Run: func(c call) int { return rotate(c.ctx, c.stderr, c.env) }, Summary: "mint a new periodic token; the old one stays valid for rotate_grace",
			Long: "Mints a new periodic token with the stored one's authority and keeps it; the old one stays valid for rotate_grace (default 1h), then the first sweep (vault-token-renew or a login) revokes it. Says in one line what it did."},
		{Name: "adopt", Run: cliVerb(storeVerb), Summary: "keep the periodic token on stdin if it is ours; never mints",
			Long: "Reads a periodic token on stdin and keeps it when it is ours (its policies and display name match the configuration). Never mints."},
		{Name: "status", Run: func(c call) int {
			return status(c.ctx, c.on("json"), c.value("metrics-file"), c.stdout, c.stderr, c.env)
		}, Summary: "will my token survive? exit 1 with the reasons when not", Flags: []flagDoc{{Name: "json", Help: "print JSON (schema: docs/status-schema.json)"}, {Name: "metrics-file", Arg: "PATH", Values: []string{"file"}, Help: "also write the Prometheus textfile PATH (absolute); overrides metrics_file"}},
			Long: "Shows every stored address, its expiry, last renew, mirror and the scheduler that renews it, never the token. Exit 0 when every token will survive, 1 with the reasons when one will not: no scheduler will run renew, the last successful renew is older than 48 hours, a token expires within 7 days, a token is invalid or not ours, an interrupted mint is not settled (a live token may be untracked), a token file is refused, or the CLI config does not name this helper."},
		{Name: "doctor", Run: func(c call) int { return doctor(c.ctx, c.on("json"), c.stdout, c.stderr, c.env) }, Summary: "check the whole install, each check with its fix", Flags: []flagDoc{{Name: "json", Help: "print JSON"}},
			Long: "Runs the checks in order, each marked passed or failed with one line saying how to fix it: the CLI config names this helper (vault and bao), the front and the full binary are the same version, the configuration is valid, VAULT_ADDR is set and has a stored token, file modes, Vault reachable with the TLS settings in use, the stored token valid and ours, the scheduler will run, the mirror in sync. Exit 1 when any check fails."},
		{Name: "renew", MaxArgs: ownArgs, OwnHelp: true, Run: func(c call) int { return runRenew(c.ctx, c.prog, c.args, c.stdout, c.stderr, c.env) }, Summary: "renew every stored periodic token (what vault-token-renew does)", Flags: renewFlags,
			Long: "Renews the periodic token of every stored Vault address, heals ~/.vault-token and revokes stale periodic tokens: the same code as vault-token-renew, which the nightly scheduler runs. Each line of output starts with what happened. Exit 0 when every address is healthy, 1 when one needs a person."},
		{Name: "check-config", Args: "[FILE]", MaxArgs: 1, Run: func(c call) int { return checkConfig(c.args, c.stdout, c.stderr, c.env) }, ArgValues: []string{"file"}, Summary: "check the configuration file (or FILE) and report every error",
			Long: "Parses the configuration ($VAULT_TOKEN_HELPER_CONFIG, else $XDG_CONFIG_HOME/vault-token-helper/config.hcl) or FILE, and reports every error with its line and key. A FILE named that does not exist is an error; the default file missing means the defaults apply."},
		{Name: "setup", Summary: installer.Summary, Long: installer.Long, Flags: setupFlags(), MaxArgs: ownArgs,
			Run: func(c call) int { return setupVerb(c.ctx, c.args, c.stdout, c.stderr, c.env) }},
		{Name: "completion", Args: "bash|zsh|fish", MaxArgs: 1, Run: completionVerb, ArgValues: []string{"bash", "zsh", "fish"}, Summary: "print the shell completion script",
			Long: "Prints the completion script for a shell. bash: add `source <(vault-token-helper completion bash)` to ~/.bashrc. zsh: `vault-token-helper completion zsh > \"${fpath[1]}/_vault-token-helper\"`. fish: `vault-token-helper completion fish > ~/.config/fish/completions/vault-token-helper.fish`."},
		{Name: "man", Run: func(c call) int { manPage(c.stdout, c.env.Version, manDate(c.env)); return ExitOK }, Summary: "print the man page (roff)",
			Long: "Prints the man page, generated from the same table as this help: `vault-token-helper man | man -l -`."},
		{Name: "help", Args: "[COMMAND]", MaxArgs: ownArgs, Run: helpVerb, Summary: "show the help of vault-token-helper or of one command"},
		{Name: "version", Run: func(c call) int { printVersion(c.stdout, helperName, c.env); return ExitOK }, Summary: "print the version, commit and Go version"},
	}
}

// setupFlags are setup's flags (package setup parses them) in the table.
func setupFlags() []flagDoc {
	var out []flagDoc
	for _, f := range installer.Flags() {
		out = append(out, flagDoc{Name: f.Name, Arg: f.Arg, Help: f.Help, Values: f.Values})
	}
	return out
}

// cliVerb runs a verb the Vault CLI calls (store, adopt, erase) through
// cliSafe, which keeps its failure readable in the CLI's output.
func cliVerb(run func(ctx context.Context, verb string, stdin io.Reader, stderr io.Writer, env Env) int) func(call) int {
	return func(c call) int {
		return cliSafe(c.stderr, c.tty, func(stderr io.Writer) int { return run(c.ctx, c.verb, c.stdin, stderr, c.env) })
	}
}

func helpVerb(c call) int {
	if len(c.args) == 0 {
		printHelp(c.stdout)
		return ExitOK
	}
	h, ok := lookupVerb(c.args[0])
	if !ok || len(c.args) > 1 {
		return usageError(c.stderr, c.prog, fmt.Sprintf("no command %q", strings.Join(c.args, " ")), suggestVerb(c.args[0]))
	}
	printVerbHelp(c.stdout, helperName+" "+h.Name, h)
	return ExitOK
}

func completionVerb(c call) int {
	if len(c.args) != 1 {
		return usageError(c.stderr, c.prog, "name one shell: bash, zsh or fish", "")
	}
	if err := completion(c.stdout, c.args[0]); err != nil {
		return usageError(c.stderr, c.prog, err.Error(), "")
	}
	return ExitOK
}

func lookupVerb(name string) (verbDoc, bool) {
	for _, v := range verbTable() {
		if v.Name == name {
			return v, true
		}
	}
	return verbDoc{}, false
}

// wantsHelp reports whether args ask for help (before a "--").
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

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

// flagProblem says in plain words what the flag package refused, with
// the closest flag of fs when the name looks mistyped.
func flagProblem(fs *flag.FlagSet, err error) (problem, suggestion string) {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "flag provided but not defined: ")
	if !ok {
		return msg, ""
	}
	name = strings.TrimLeft(name, "-")
	best, bestD := "", 3
	fs.VisitAll(func(f *flag.Flag) {
		if d := editDistance(name, f.Name); d < bestD {
			best, bestD = "--"+f.Name, d
		}
	})
	return "unknown flag --" + name, best
}

// parseFlags parses the flags of a verb of the table with fs, quietly:
// help is the table's, errors are one usage line; at most max
// positional arguments may follow. done means return code.
func parseFlags(fs *flag.FlagSet, prog string, args []string, max int, stderr io.Writer) (code int, done bool) {
	if err := fs.Parse(args); err != nil {
		problem, suggestion := flagProblem(fs, err)
		return usageError(stderr, prog, problem, suggestion), true
	}
	if fs.NArg() > max {
		return usageError(stderr, prog, fmt.Sprintf("unexpected arguments %q", strings.Join(fs.Args(), " ")), ""), true
	}
	return ExitOK, false
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

// completion prints the completion script for shell.
func completion(w io.Writer, shell string) error {
	verbs := verbTable()
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = v.Name
	}
	flagWords := func(flags []flagDoc) string {
		var out []string
		for _, f := range append(append([]flagDoc{}, flags...), helpFlag) {
			out = append(out, "--"+f.Name)
		}
		return strings.Join(out, " ")
	}
	switch shell {
	case "bash":
		fmt.Fprintf(w, "# bash completion for vault-token-helper and vault-token-renew\n# generated by `vault-token-helper completion bash`; load with: source <(vault-token-helper completion bash)\n")
		fmt.Fprintf(w, "_vault_token_helper() {\n\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n")
		fmt.Fprintf(w, "\tif [[ $COMP_CWORD -eq 1 ]]; then\n\t\tCOMPREPLY=($(compgen -W '%s --help --version' -- \"$cur\"))\n\t\treturn\n\tfi\n", strings.Join(names, " "))
		fmt.Fprintf(w, "\tcase ${COMP_WORDS[1]} in\n")
		for _, v := range verbs {
			fmt.Fprintf(w, "\t%s)\n", v.Name)
			bashValues(w, v)
			words := flagWords(v.Flags)
			if v.Name == "help" {
				words = strings.Join(names, " ")
			}
			fmt.Fprintf(w, "\t\tCOMPREPLY=($(compgen -W '%s' -- \"$cur\"))\n", words)
			if len(v.ArgValues) > 0 {
				bashArgValues(w, v.ArgValues)
			}
			fmt.Fprintf(w, "\t\t;;\n")
		}
		fmt.Fprintf(w, "\tesac\n}\ncomplete -F _vault_token_helper vault-token-helper vault-token-helper-full\n")
		fmt.Fprintf(w, "_vault_token_renew() {\n\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n")
		bashValues(w, verbDoc{Flags: renewFlags})
		fmt.Fprintf(w, "\tCOMPREPLY=($(compgen -W '%s --version' -- \"$cur\"))\n}\ncomplete -F _vault_token_renew vault-token-renew\n", flagWords(renewFlags))
	case "zsh":
		fmt.Fprintf(w, "#compdef vault-token-helper vault-token-helper-full vault-token-renew\n# zsh completion, generated by `vault-token-helper completion zsh`\n\n")
		fmt.Fprintf(w, "_vault_token_renew() {\n\t_arguments %s '--version[print the version]'\n}\n\n", zshFlags(renewFlags))
		fmt.Fprintf(w, "_vault_token_helper() {\n\tlocal -a verbs\n\tverbs=(\n")
		for _, v := range verbs {
			fmt.Fprintf(w, "\t\t%s\n", zshQuote(v.Name+":"+v.Summary))
		}
		fmt.Fprintf(w, "\t)\n\tif (( CURRENT == 2 )); then\n\t\t_describe command verbs\n\t\treturn\n\tfi\n\tshift words; (( CURRENT-- ))\n\tcase $words[1] in\n")
		for _, v := range verbs {
			fmt.Fprintf(w, "\t%s) _arguments %s", v.Name, zshFlags(v.Flags))
			switch {
			case v.Name == "help":
				fmt.Fprintf(w, " '1:command:(%s)'", strings.Join(names, " "))
			case len(v.ArgValues) == 1 && v.ArgValues[0] == "file":
				fmt.Fprintf(w, " '1:file:_files'")
			case len(v.ArgValues) > 0:
				fmt.Fprintf(w, " '1:value:(%s)'", strings.Join(v.ArgValues, " "))
			}
			fmt.Fprintf(w, " ;;\n")
		}
		fmt.Fprintf(w, "\tesac\n}\n\nif [[ $service == vault-token-renew ]]; then\n\t_vault_token_renew \"$@\"\nelse\n\t_vault_token_helper \"$@\"\nfi\n")
	case "fish":
		fmt.Fprintf(w, "# fish completion, generated by `vault-token-helper completion fish`\n")
		for _, prog := range []string{"vault-token-helper", "vault-token-helper-full"} {
			fmt.Fprintf(w, "complete -c %s -f\n", prog)
			for _, v := range verbs {
				fmt.Fprintf(w, "complete -c %s -n __fish_use_subcommand -a %s -d %s\n", prog, v.Name, fishQuote(v.Summary))
				for _, f := range append(append([]flagDoc{}, v.Flags...), helpFlag) {
					fmt.Fprintf(w, "complete -c %s -n '__fish_seen_subcommand_from %s' -l %s%s -d %s\n", prog, v.Name, f.Name, fishValues(f), fishQuote(f.Help))
				}
				switch {
				case v.Name == "help":
					fmt.Fprintf(w, "complete -c %s -n '__fish_seen_subcommand_from help' -a %s\n", prog, fishQuote(strings.Join(names, " ")))
				case len(v.ArgValues) == 1 && v.ArgValues[0] == "file":
					fmt.Fprintf(w, "complete -c %s -n '__fish_seen_subcommand_from %s' -F\n", prog, v.Name)
				case len(v.ArgValues) > 0:
					fmt.Fprintf(w, "complete -c %s -n '__fish_seen_subcommand_from %s' -a %s\n", prog, v.Name, fishQuote(strings.Join(v.ArgValues, " ")))
				}
			}
		}
		fmt.Fprintf(w, "complete -c vault-token-renew -f\n")
		for _, f := range append(append([]flagDoc{}, renewFlags...), helpFlag, flagDoc{Name: "version", Help: "print the version"}) {
			fmt.Fprintf(w, "complete -c vault-token-renew -l %s%s -d %s\n", f.Name, fishValues(f), fishQuote(f.Help))
		}
	default:
		return fmt.Errorf("no completion for shell %q; use bash, zsh or fish", shell)
	}
	return nil
}

// bashValues completes the value of a flag that takes one.
func bashValues(w io.Writer, v verbDoc) {
	var cases []string
	for _, f := range v.Flags {
		if f.Arg == "" {
			continue
		}
		words := "COMPREPLY=()"
		switch {
		case len(f.Values) == 1 && f.Values[0] == "file":
			words = `COMPREPLY=($(compgen -f -- "$cur"))`
		case len(f.Values) > 0:
			words = fmt.Sprintf(`COMPREPLY=($(compgen -W '%s' -- "$cur"))`, strings.Join(f.Values, " "))
		}
		cases = append(cases, fmt.Sprintf("\t\t--%s|-%s) %s; return ;;\n", f.Name, f.Name, words))
	}
	if len(cases) == 0 {
		return
	}
	fmt.Fprintf(w, "\t\tcase $prev in\n%s\t\tesac\n", strings.Join(cases, ""))
}

func bashArgValues(w io.Writer, values []string) {
	if len(values) == 1 && values[0] == "file" {
		fmt.Fprintf(w, "\t\t[[ $cur != -* ]] && COMPREPLY+=($(compgen -f -- \"$cur\"))\n")
		return
	}
	fmt.Fprintf(w, "\t\t[[ $cur != -* ]] && COMPREPLY+=($(compgen -W '%s' -- \"$cur\"))\n", strings.Join(values, " "))
}

func zshFlags(flags []flagDoc) string {
	var out []string
	for _, f := range append(append([]flagDoc{}, flags...), helpFlag) {
		help := strings.NewReplacer("[", "(", "]", ")", "'", "").Replace(f.Help)
		spec := "--" + f.Name + "[" + help + "]"
		if f.Arg != "" {
			act := ""
			switch {
			case len(f.Values) == 1 && f.Values[0] == "file":
				act = "_files"
			case len(f.Values) > 0:
				act = "(" + strings.Join(f.Values, " ") + ")"
			}
			spec += ":" + strings.ToLower(f.Arg) + ":" + act
		}
		out = append(out, zshQuote(spec))
	}
	return strings.Join(out, " ")
}

func zshQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func fishQuote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", `\'`).Replace(s) + "'"
}

func fishValues(f flagDoc) string {
	switch {
	case f.Arg == "":
		return ""
	case len(f.Values) == 1 && f.Values[0] == "file":
		return " -r -F"
	case len(f.Values) > 0:
		return " -x -a " + fishQuote(strings.Join(f.Values, " "))
	}
	return " -x"
}

// manDate is the date the man page names: SOURCE_DATE_EPOCH's when set
// (reproducible-builds.org; make dist sets it to the commit's time, so two
// builds of one commit ship the same page), else today.
func manDate(env Env) time.Time {
	if env.Getenv != nil {
		if s := env.Getenv("SOURCE_DATE_EPOCH"); s != "" {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return time.Unix(n, 0)
			}
		}
	}
	return env.Now()
}

// manPage prints the man page (roff, man(7) macros) from the table.
func manPage(w io.Writer, version string, now time.Time) {
	esc := func(s string) string {
		s = strings.ReplaceAll(s, `\`, `\e`)
		s = strings.ReplaceAll(s, "-", `\-`)
		if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
			s = `\&` + s
		}
		return s
	}
	fmt.Fprintf(w, ".TH VAULT-TOKEN-HELPER 1 %q %q \"User Commands\"\n", now.UTC().Format("2006-01-02"), "vault-token-helper "+version)
	fmt.Fprintf(w, ".SH NAME\nvault\\-token\\-helper, vault\\-token\\-renew \\- a token helper for the Vault CLI that keeps a renewed periodic token\n")
	fmt.Fprintf(w, ".SH SYNOPSIS\n.B vault\\-token\\-helper\n.I COMMAND\n[\\fIFLAGS\\fR]\n.br\n.B vault\\-token\\-renew\n[\\fIFLAGS\\fR]\n")
	fmt.Fprintf(w, ".SH DESCRIPTION\nThe Vault (or OpenBao) CLI runs vault\\-token\\-helper with get, store and erase once ~/.vault names it: token_helper = \"/absolute/path/to/vault\\-token\\-helper\". vault\\-token\\-renew is the renew command, run nightly by the scheduler. Flags are written \\-\\-flag; \\-flag is accepted too.\n")
	fmt.Fprintf(w, ".SH COMMANDS\n")
	for _, v := range verbTable() {
		fmt.Fprintf(w, ".TP\n.B %s\n", esc(strings.TrimPrefix(usageLine(v.Name, v), "usage: ")))
		text := v.Long
		if text == "" {
			text = v.Summary
		}
		fmt.Fprintln(w, esc(text))
		for _, f := range v.Flags {
			arg := ""
			if f.Arg != "" {
				arg = " " + f.Arg
			}
			fmt.Fprintf(w, ".RS\n.TP\n.B %s\n%s\n.RE\n", esc("--"+f.Name+arg), esc(f.Help))
		}
	}
	fmt.Fprintf(w, ".SH EXIT STATUS\n0 success (status and doctor: healthy), 1 failure (status and doctor: something needs a person), 2 usage error.\n")
	fmt.Fprintf(w, ".SH FILES\n.TP\n$XDG_CONFIG_HOME/vault\\-token\\-helper/config.hcl\nthe configuration ($VAULT_TOKEN_HELPER_CONFIG)\n.TP\n$XDG_DATA_HOME/vault\\-token\\-helper\nthe token store\n.TP\n$XDG_STATE_HOME/vault\\-token\\-helper/vault\\-token\\-helper.log\nthe log\n")
	fmt.Fprintf(w, ".SH SEE ALSO\n.BR vault (1)\n")
}
