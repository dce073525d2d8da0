package caller

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ErrUncertain is returned when the CLI's arguments cannot be parsed with
// certainty: the address or namespace the command uses is not known.
var ErrUncertain = errors.New("cannot tell which server the command talks to")

// notSet is the CLI's notSetValue: a -namespace or -ns with this value
// counts as absent (command/base.go).
const notSet = "(not set)"

// Flags are the -address, -agent-address and -namespace (-ns) flags of
// one command line, as the CLI's BaseCommand resolves them.
type Flags struct {
	Addr string // the -address value, white space trimmed; "" when absent or empty (then the environment counts)
	// AgentAddr is the -agent-address value, white space trimmed; "" when
	// absent or empty (then VAULT_AGENT_ADDR counts). When set, the CLI
	// sends every request there instead of to the address (api.NewClient).
	AgentAddr string
	NS        string // the namespace from -ns or -namespace; meaningful when NSSet
	NSSet     bool   // a namespace flag was given (even empty: the root namespace)

	// DevServer is set for `vault server` (and `bao server`): the CLI then
	// hands the helper the root token of the dev server it starts, which
	// listens on DevListen (the -dev-listen-address value; "" when absent)
	// with TLS when DevTLS (-dev-tls). Addr, AgentAddr, NS and NSSet are
	// then unset.
	DevServer bool
	DevListen string
	DevTLS    bool
}

// Parse parses the arguments of a vault or bao command line (without
// argv[0]) as the CLI does, and returns the flags that choose the server.
//
// The CLI finds the subcommand as hashicorp/cli's processArgs does (the
// longest known command made of the leading words), then hands the rest
// to Go's flag package: flags end at the first argument that is not a
// flag or at "--"; -flag=v, -flag v, one or two dashes; a boolean flag
// takes no separate value; the last occurrence wins; -ns wins over
// -namespace. A flag whose kind (boolean or not) this package does not
// know is tried both ways: when the outcomes differ, Parse returns
// ErrUncertain. So does a command line the CLI would have refused before
// running the helper (help, a bad flag, flags before the subcommand), or
// an unknown subcommand with what may be an address or namespace flag.
func Parse(args []string) (Flags, error) {
	// command/main.go setupEnv: a lone -v is the version command.
	if len(args) == 1 && (args[0] == "-v" || args[0] == "-version" || args[0] == "--version") {
		return Flags{}, nil
	}
	sub, subArgs, err := subcommand(args)
	if err != nil {
		return Flags{}, err
	}
	if sub == "server" {
		// `vault server -dev` hands the root token of the server it starts
		// to the helper's store: that server is the dev listener, never
		// the environment's VAULT_ADDR.
		f, err := parseFlags(subArgs)
		if err != nil {
			return Flags{}, err
		}
		return Flags{DevServer: true, DevListen: f.DevListen, DevTLS: f.DevTLS}, nil
	}
	if known(noHTTPFlags, sub) {
		// No -address flag: the environment decides.
		return Flags{}, nil
	}
	if !known(commands, sub) {
		if mentionsServerFlag(subArgs) {
			return Flags{}, fmt.Errorf("%w: command %s is not one this helper knows", ErrUncertain, printable(sub))
		}
		return Flags{}, nil
	}
	// A group (token, kv, operator raft...) followed by a word: a newer CLI
	// may know "<group> <word>" as a command whose flags follow.
	if len(subArgs) > 0 && subArgs[0] != "" && subArgs[0][0] != '-' && !strings.ContainsRune(subArgs[0], ' ') &&
		isGroup(sub) && mentionsServerFlag(subArgs) {
		return Flags{}, fmt.Errorf("%w: %s %s is not a command this helper knows", ErrUncertain, printable(sub), printable(subArgs[0]))
	}
	return parseFlags(subArgs)
}

// subcommand is hashicorp/cli v1.1.7 (*CLI).processArgs and the checks of
// Run before the command runs.
func subcommand(args []string) (string, []string, error) {
	sub := ""
	var subArgs []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			break
		}
		switch arg {
		case "-h", "-help", "--help":
			return "", nil, fmt.Errorf("%w: the command line asks for help", ErrUncertain)
		case "-autocomplete-install", "--autocomplete-install", "-autocomplete-uninstall", "--autocomplete-uninstall":
			return "", nil, fmt.Errorf("%w: the command line installs autocompletion", ErrUncertain)
		}
		if sub == "" {
			if arg == "-v" || arg == "-version" || arg == "--version" {
				continue // the CLI sets no version string, so Run ignores it
			}
			if arg != "" && arg[0] == '-' {
				name, _, _ := flagName(arg)
				return "", nil, fmt.Errorf("%w: flag -%s before the subcommand", ErrUncertain, printable(name))
			}
		}
		if sub != "" || arg == "" || arg[0] == '-' {
			continue
		}
		sub = arg
		if strings.ContainsRune(arg, ' ') {
			return "", nil, fmt.Errorf("%w: the subcommand holds a space", ErrUncertain)
		}
		j := 0
		for k, v := range args[i:] {
			if strings.ContainsRune(v, ' ') || v == "" || v[0] == '-' {
				break
			}
			j = i + k + 1
		}
		search := strings.Join(args[i:j], " ")
		if k := longestPrefix(search); k != "" && verified(search, k) {
			sub = k
			i += strings.Count(k, " ")
		}
		subArgs = args[i+1:]
	}
	if sub == "" {
		return "", nil, fmt.Errorf("%w: no subcommand", ErrUncertain)
	}
	return sub, subArgs, nil
}

// isGroup reports whether other commands are named "<name> ...".
func isGroup(name string) bool {
	i, _ := slices.BinarySearch(commands, name+" ")
	return i < len(commands) && strings.HasPrefix(commands[i], name+" ")
}

// longestPrefix is the radix tree's LongestPrefix: the longest command
// name that is a prefix (of bytes, not of words) of s.
func longestPrefix(s string) string {
	best := ""
	for _, name := range commands {
		if len(name) > len(best) && strings.HasPrefix(s, name) {
			best = name
		}
	}
	for _, name := range noHTTPFlags {
		if len(name) > len(best) && strings.HasPrefix(s, name) {
			best = name
		}
	}
	return best
}

// verified is processArgs' regexp QuoteMeta(k)+"( |$)" matched, not
// anchored, against s.
func verified(s, k string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], k)
		if i < 0 {
			return false
		}
		end := off + i + len(k)
		if end == len(s) || s[end] == ' ' {
			return true
		}
		off += i + 1
	}
}

// mentionsServerFlag reports whether any argument before "--" could be an
// -address, -agent-address, -namespace or -ns flag.
func mentionsServerFlag(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if name, _, ok := flagName(a); ok && isServerFlag(name) {
			return true
		}
	}
	return false
}

func isServerFlag(name string) bool {
	return name == "address" || name == "agent-address" || name == "namespace" || name == "ns"
}

// flagName splits "-name=value" or "--name": ok is false for an argument
// that is not a flag.
func flagName(a string) (name string, value *string, ok bool) {
	if len(a) < 2 || a[0] != '-' {
		return "", nil, false
	}
	n := 1
	if a[1] == '-' {
		n = 2
	}
	name = a[n:]
	if k, v, found := strings.Cut(name, "="); found {
		return k, &v, true
	}
	return name, nil, true
}

// maxPaths bounds how many ways of reading flags of unknown kind are
// tried before giving up.
const maxPaths = 256

// walk is one reading of the arguments.
type walk struct {
	devListen string
	devTLS    bool
	addr      string
	agentAddr string
	ns        *string
	namespace *string
}

func (w walk) flags() Flags {
	f := Flags{Addr: w.addr, AgentAddr: w.agentAddr, DevListen: w.devListen, DevTLS: w.devTLS}
	if w.ns != nil && *w.ns != notSet {
		f.NS, f.NSSet = *w.ns, true
	} else if w.namespace != nil && *w.namespace != notSet {
		f.NS, f.NSSet = *w.namespace, true
	}
	return f
}

// boolValue is the value of a boolean flag: true when given alone.
func boolValue(name string, value *string) (bool, error) {
	if value == nil {
		return true, nil
	}
	b, err := strconv.ParseBool(*value)
	if err != nil {
		return false, fmt.Errorf("%w: -%s has a value that is not a boolean", ErrUncertain, printable(name))
	}
	return b, nil
}

// set records the value of a flag that takes one, when it is a flag the
// helper reads.
func (w *walk) set(name, v string) {
	switch name {
	case "address":
		w.addr = v
	case "agent-address":
		w.agentAddr = v
	case "namespace":
		w.namespace = &v
	case "ns":
		w.ns = &v
	case "dev-listen-address":
		w.devListen = v
	}
}

// parseFlags reads args as Go's flag.FlagSet.Parse does, trying both
// readings of a flag of unknown kind given without "=value". A reading in
// which the CLI would have failed (a flag without its value, a bad
// boolean) is dropped: the CLI ran the helper, so it parsed its flags.
func parseFlags(args []string) (Flags, error) {
	var outcomes []Flags
	var firstErr error
	paths := 0
	var rec func(i int, w walk)
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	rec = func(i int, w walk) {
		for i < len(args) {
			a := args[i]
			if len(a) < 2 || a[0] != '-' || a == "--" {
				break // flags end at the first non-flag argument or "--"
			}
			name, value, _ := flagName(a)
			if name == "" || name[0] == '-' || name[0] == '=' {
				fail(fmt.Errorf("%w: bad flag syntax", ErrUncertain))
				return
			}
			if name == "h" || name == "help" {
				fail(fmt.Errorf("%w: the command line asks for help", ErrUncertain))
				return
			}
			kind := kindOf(name)
			if isServerFlag(name) {
				kind = kindValue
			}
			switch kind {
			case kindBool:
				b, err := boolValue(name, value)
				if err != nil {
					fail(err)
					return
				}
				if name == "dev-tls" {
					w.devTLS = b
				}
				i++
				continue
			case kindValue:
				if value == nil {
					if i+1 >= len(args) {
						fail(fmt.Errorf("%w: -%s needs a value", ErrUncertain, printable(name)))
						return
					}
					value = &args[i+1]
					i++
				}
				i++
				w.set(name, strings.TrimSpace(*value))
				continue
			}
			// A flag of unknown kind: alone, or with the next argument.
			if value != nil || i+1 >= len(args) {
				i++
				continue
			}
			if paths++; paths > maxPaths {
				fail(fmt.Errorf("%w: too many flags of unknown kind", ErrUncertain))
				return
			}
			rec(i+1, w) // boolean: the next argument stands on its own
			i += 2      // takes the next argument as its value
		}
		outcomes = append(outcomes, w.flags())
	}
	rec(0, walk{})
	if paths > maxPaths || len(outcomes) == 0 {
		return Flags{}, firstErr
	}
	for _, o := range outcomes[1:] {
		if o != outcomes[0] {
			return Flags{}, fmt.Errorf("%w: it depends on whether a flag this helper does not know takes a value", ErrUncertain)
		}
	}
	return outcomes[0], nil
}

// printable returns a command or flag name for a message, or a
// placeholder when it does not look like one: the CLI's arguments may hold
// secrets (`vault write ... password=...`), and messages never show them.
func printable(name string) string {
	if name == "" || len(name) > 40 {
		return "(unnamed)"
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == ' ') {
			return "(unnamed)"
		}
	}
	return name
}
