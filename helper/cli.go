package helper

// The command line: one table of verbs and flags, from which the help,
// the "did you mean" suggestions, the shell completions and the man page
// are all generated, so they cannot disagree with each other.
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
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// flagDoc documents one flag of a verb; Name has no dashes.
type flagDoc struct {
	Name, Arg, Help string
	// Values completes Arg (shell completion); "file" completes a path.
	Values []string
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
}

var helpFlag = flagDoc{Name: "help", Help: "show this help"}

// renewFlags are vault-token-renew's flags, also those of the renew verb.
var renewFlags = []flagDoc{
	{Name: "address", Arg: "URL", Help: "renew only this Vault address (as in VAULT_ADDR)"},
	{Name: "scan", Help: "also list every token and revoke other tokens with our display name (needs list on auth/token/accessors)"},
	{Name: "dry-run", Help: "say what would be done; change nothing"},
	{Name: "metrics-file", Arg: "PATH", Values: []string{"file"}, Help: "write the Prometheus textfile PATH (absolute) after the run; overrides metrics_file"},
}

// verbTable is every verb of vault-token-helper, in the order of the help.
func verbTable() []verbDoc {
	return []verbDoc{
		{Name: "get", Summary: "print the token stored for the address the calling CLI uses",
			Long: "Prints the token stored for the address (and namespace) the calling CLI talks to: its -address and -namespace flags, else VAULT_ADDR and VAULT_NAMESPACE. No newline; nothing stored prints nothing. The Vault CLI runs it before every command."},
		{Name: "store", Summary: "keep a login token read on stdin (mints the periodic token)",
			Long: "Reads a login token on stdin, mints a periodic token from it and keeps that; refuses a token that cannot mint while a valid one is kept. The Vault CLI runs it after `vault login`."},
		{Name: "erase", Summary: "forget the stored token (revokes it if this tool minted it)",
			Long: "Forgets the token stored for the address the calling CLI uses, revoking it when this tool minted it, and says in one line what it did."},
		{Name: "rotate", Summary: "mint a new periodic token; the old one stays valid for rotate_grace",
			Long: "Mints a new periodic token with the stored one's authority and keeps it; the old one stays valid for rotate_grace (default 1h), then the first sweep (vault-token-renew or a login) revokes it. Says in one line what it did."},
		{Name: "adopt", Summary: "keep the periodic token on stdin if it is ours; never mints",
			Long: "Reads a periodic token on stdin and keeps it when it is ours (its policies and display name match the configuration). Never mints."},
		{Name: "status", Summary: "will my token survive? exit 1 with the reasons when not", Flags: []flagDoc{{Name: "json", Help: "print JSON (schema: docs/status-schema.json)"}, {Name: "metrics-file", Arg: "PATH", Values: []string{"file"}, Help: "also write the Prometheus textfile PATH (absolute); overrides metrics_file"}},
			Long: "Shows every stored address, its expiry, last renew, mirror and the scheduler that renews it, never the token. Exit 0 when every token will survive, 1 with the reasons when one will not: no scheduler will run renew, the last successful renew is older than 48 hours, a token expires within 7 days, a token is invalid or not ours, a token file is refused, or the CLI config does not name this helper."},
		{Name: "doctor", Summary: "check the whole install, each check with its fix", Flags: []flagDoc{{Name: "json", Help: "print JSON"}},
			Long: "Runs the checks in order, each marked passed or failed with one line saying how to fix it: the CLI config names this helper (vault and bao), the front and the full binary are the same version, the configuration is valid, VAULT_ADDR is set and has a stored token, file modes, Vault reachable with the TLS settings in use, the stored token valid and ours, the scheduler will run, the mirror in sync. Exit 1 when any check fails."},
		{Name: "renew", Summary: "renew every stored periodic token (what vault-token-renew does)", Flags: renewFlags,
			Long: "Renews the periodic token of every stored Vault address, heals ~/.vault-token and revokes stale periodic tokens: the same code as vault-token-renew, which the nightly scheduler runs. Each line of output starts with what happened. Exit 0 when every address is healthy, 1 when one needs a person."},
		{Name: "check-config", Args: "[FILE]", ArgValues: []string{"file"}, Summary: "check the configuration file (or FILE) and report every error",
			Long: "Parses the configuration ($VAULT_TOKEN_HELPER_CONFIG, else $XDG_CONFIG_HOME/vault-token-helper/config.hcl) or FILE, and reports every error with its line and key. A FILE named that does not exist is an error; the default file missing means the defaults apply."},
		{Name: "setup", Summary: "install for this user (binaries, ~/.vault or ~/.bao, scheduler)",
			Flags: []flagDoc{
				{Name: "cli", Arg: "vault|bao|both", Values: []string{"vault", "bao", "both"}, Help: "which CLI to configure"},
				{Name: "prefix", Arg: "DIR", Values: []string{"file"}, Help: "install the binaries into DIR/bin instead of ~/.local/bin"},
				{Name: "no-timer", Help: "do not install (or remove) the systemd units"},
				{Name: "uninstall", Help: "undo the install; keeps the config and the token store"},
			},
			Long: "Installs vault-token-helper for the current user; running it again changes nothing. See `vault-token-helper setup --help`."},
		{Name: "completion", Args: "bash|zsh|fish", ArgValues: []string{"bash", "zsh", "fish"}, Summary: "print the shell completion script",
			Long: "Prints the completion script for a shell. bash: add `source <(vault-token-helper completion bash)` to ~/.bashrc. zsh: `vault-token-helper completion zsh > \"${fpath[1]}/_vault-token-helper\"`. fish: `vault-token-helper completion fish > ~/.config/fish/completions/vault-token-helper.fish`."},
		{Name: "man", Summary: "print the man page (roff)",
			Long: "Prints the man page, generated from the same table as this help: `vault-token-helper man | man -l -`."},
		{Name: "help", Args: "[COMMAND]", Summary: "show the help of vault-token-helper or of one command"},
		{Name: "version", Summary: "print the version, commit and Go version"},
	}
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
		fmt.Fprintf(w, "  %-22s %s\n", name, f.Help)
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
// help is the table's, errors are one usage line. done means return code.
func parseFlags(fs *flag.FlagSet, prog string, args []string, stderr io.Writer) (code int, done bool) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		problem, suggestion := flagProblem(fs, err)
		return usageError(stderr, prog, problem, suggestion), true
	}
	if fs.NArg() > 0 {
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

// BuildInfo is what --version prints besides the version.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"` // "unknown" when the build recorded none; "+dirty" when modified
	GoVersion string `json:"go_version"`
}

// buildInfo is this binary's: version from -ldflags, commit and Go version
// from runtime/debug.ReadBuildInfo (the commit from -ldflags when the
// build recorded none).
func buildInfo(version, commit string) BuildInfo {
	b := BuildInfo{Version: version, Commit: "unknown", GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.GoVersion = bi.GoVersion
		b.Commit = commitOf(bi)
	}
	if b.Commit == "unknown" && commit != "" {
		b.Commit = commit
	}
	return b
}

// commitOf is the VCS revision recorded in a build, "unknown" when none.
func commitOf(bi *debug.BuildInfo) string {
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}

func printVersion(w io.Writer, prog string, env Env) {
	b := buildInfo(env.Version, env.Commit)
	fmt.Fprintf(w, "%s %s\ncommit %s\n%s %s/%s\n", prog, b.Version, b.Commit, b.GoVersion, runtime.GOOS, runtime.GOARCH)
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
