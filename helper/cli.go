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
	"strings"

	installer "github.com/vault-token-helper/vault-token-helper/helper/setup"
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
