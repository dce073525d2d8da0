package caller

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	const b = "http://b:8200"
	ns := func(s string) Flags { return Flags{NS: s, NSSet: true} }
	tests := []struct {
		name string
		args string // split on "|"; "<empty>" is an empty argument
		want Flags
		err  bool // ErrUncertain
	}{
		// Every form of -address.
		{"one dash equals", "token|lookup|-address=" + b, Flags{Addr: b}, false},
		{"two dashes equals", "token|lookup|--address=" + b, Flags{Addr: b}, false},
		{"one dash separate value", "token|lookup|-address|" + b, Flags{Addr: b}, false},
		{"two dashes separate value", "token|lookup|--address|" + b, Flags{Addr: b}, false},
		{"value that looks like a flag", "token|lookup|-address|-format=json", Flags{Addr: "-format=json"}, false},
		{"value trimmed", "token|lookup|-address= " + b + " ", Flags{Addr: b}, false},
		{"empty value means the environment", "token|lookup|-address=", Flags{}, false},
		{"last one wins", "token|lookup|-address=http://a:8200|-address=" + b, Flags{Addr: b}, false},
		{"after other flags", "token|lookup|-format=json|-self|-address=" + b, Flags{Addr: b}, false},
		{"after a value flag with a separate value", "token|lookup|-format|json|-address|" + b, Flags{Addr: b}, false},
		{"after a boolean flag", "token|lookup|-self|-address|" + b, Flags{Addr: b}, false},
		{"boolean flag with a value", "token|lookup|-self=true|-address|" + b, Flags{Addr: b}, false},
		{"single-word command", "status|-address=" + b, Flags{Addr: b}, false},
		{"three-word command", "operator|raft|list-peers|-address=" + b, Flags{Addr: b}, false},
		{"login", "login|-method=userpass|-address=" + b + "|username=u", Flags{Addr: b}, false},
		{"kv", "kv|get|-mount=secret|-address=" + b + "|foo", Flags{Addr: b}, false},

		// Where flags end.
		{"after a positional argument", "token|lookup|s.abc|-address=" + b, Flags{}, false},
		{"after the login method's arguments", "login|-method=userpass|username=u|-address=" + b, Flags{}, false},
		{"after --", "token|lookup|--|-address=" + b, Flags{}, false},
		{"after a lone dash", "read|-|-address=" + b, Flags{}, false},
		{"after an empty argument", "token|lookup|<empty>|-address=" + b, Flags{}, false},
		{"no flags", "token|lookup", Flags{}, false},
		{"a path named like a command", "read|token|-address=" + b, Flags{}, false},
		{"a leaf command's positional argument, then -address", "kv|get|secret/x|-address=" + b, Flags{}, false},
		{"a group, an unknown word, then -address", "token|frob|-address=" + b, Flags{}, true},
		{"a nested group, an unknown word, then -address", "operator|raft|frob|-address=" + b, Flags{}, true},
		{"a group, an unknown word, no server flag", "token|frob|-format=json", Flags{}, false},

		// Namespaces.
		{"namespace", "kv|get|-namespace=team|foo", ns("team"), false},
		{"namespace two dashes separate", "kv|get|--namespace|team|foo", ns("team"), false},
		{"ns", "kv|get|-ns=team|foo", ns("team"), false},
		{"ns separate", "kv|get|-ns|team", ns("team"), false},
		{"ns wins over namespace", "kv|get|-ns=a|-namespace=b", ns("a"), false},
		{"ns wins whatever the order", "kv|get|-namespace=b|-ns=a", ns("a"), false},
		{"empty namespace is the root one", "kv|get|-namespace=", ns(""), false},
		{"not set value is absent", "kv|get|-namespace=(not set)", Flags{}, false},
		{"ns not set falls back to namespace", "kv|get|-ns=(not set)|-namespace=b", ns("b"), false},
		{"address and namespace", "token|lookup|-address=" + b + "|-ns=team", Flags{Addr: b, NS: "team", NSSet: true}, false},

		// -agent-address: the CLI sends its requests there (issue 20).
		{"agent address", "token|lookup|-agent-address=" + b, Flags{AgentAddr: b}, false},
		{"agent address two dashes separate value", "token|lookup|--agent-address|" + b, Flags{AgentAddr: b}, false},
		{"agent address trimmed", "token|lookup|-agent-address= " + b + " ", Flags{AgentAddr: b}, false},
		{"empty agent address means the environment", "token|lookup|-agent-address=", Flags{}, false},
		{"agent address and address", "token|lookup|-address=http://a:8200|-agent-address=" + b, Flags{Addr: "http://a:8200", AgentAddr: b}, false},
		{"agent address after a positional argument", "token|lookup|s.abc|-agent-address=" + b, Flags{}, false},
		{"unknown flag before the agent address", "token|lookup|-frob|-agent-address=" + b, Flags{}, true},
		{"unknown command with -agent-address", "frobnicate|-agent-address=" + b, Flags{}, true},
		{"a group, an unknown word, then -agent-address", "token|frob|-agent-address=" + b, Flags{}, true},
		{"server -agent-address is not the dev listener", "server|-dev|-agent-address=" + b, Flags{DevServer: true}, false},

		// Before the subcommand.
		{"empty argument before the subcommand", "<empty>|token|lookup|-address=" + b, Flags{Addr: b}, false},
		{"version flag before the subcommand", "-version|token|lookup|-address=" + b, Flags{Addr: b}, false},
		{"lone -v is the version command", "-v", Flags{}, false},
		{"flag before the subcommand", "-address=" + b + "|token|lookup", Flags{}, true},

		// Commands without -address, or unknown.
		{"server -dev", "server|-dev|-dev-listen-address=127.0.0.1:8300", Flags{DevServer: true, DevListen: "127.0.0.1:8300"}, false},
		{"server -dev, default listener", "server|-dev", Flags{DevServer: true}, false},
		{"server -dev-tls", "server|-dev-tls|-dev-listen-address|127.0.0.1:8301", Flags{DevServer: true, DevListen: "127.0.0.1:8301", DevTLS: true}, false},
		{"server -dev-tls=false", "server|-dev|-dev-tls=false", Flags{DevServer: true}, false},
		{"server -address is not the dev listener", "server|-dev|-address=" + b, Flags{DevServer: true}, false},
		{"unknown command without a server flag", "frobnicate|-x|y", Flags{}, false},
		{"unknown command with -address", "frobnicate|-address=" + b, Flags{}, true},
		{"prefix of a command is not it", "tokens|-address=" + b, Flags{}, true},
		{"nothing", "", Flags{}, true},

		// What the CLI would have refused before running the helper.
		{"help", "token|lookup|-address=" + b + "|-h", Flags{}, true},
		{"help as a value", "read|-field|-help|x", Flags{}, true},
		{"help after --", "read|--|-h", Flags{}, false},
		{"help with two dashes and a value", "read|--help=1", Flags{}, true},
		{"bad flag syntax", "read|---address=" + b, Flags{}, true},
		{"missing value", "token|lookup|-address", Flags{}, true},
		{"bad boolean", "token|lookup|-self=maybe|-address=" + b, Flags{}, true},
		{"space in the subcommand", "token lookup|-address=" + b, Flags{}, true},

		// Flags of unknown kind: both readings.
		{"unknown flag, same outcome both ways", "token|lookup|-frob|x", Flags{}, false},
		{"unknown flag with =value", "token|lookup|-frob=1|-address=" + b, Flags{Addr: b}, false},
		{"unknown flag before the address", "token|lookup|-frob|-address=" + b, Flags{}, true},
		{"unknown flag whose value would be the address", "token|lookup|-frob|-address|" + b, Flags{}, true},
		{"unknown flag at the end", "token|lookup|-address=" + b + "|-frob", Flags{Addr: b}, false},
		{"ambiguous kind (dr-token)", "operator|raft|list-peers|-dr-token|-address=" + b, Flags{}, true},
		{"one reading impossible", "token|lookup|-frob|-address", Flags{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var args []string
			if tt.args != "" {
				args = strings.Split(tt.args, "|")
			}
			for i, a := range args {
				if a == "<empty>" {
					args[i] = ""
				}
			}
			got, err := Parse(args)
			if tt.err {
				if !errors.Is(err, ErrUncertain) {
					t.Fatalf("Parse(%q): got %+v, %v; want ErrUncertain", args, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q): got %+v, %v; want %+v", args, got, err, tt.want)
			}
		})
	}
}

// An error never shows an argument's value: command lines hold secrets.
func TestParseErrorsHideValues(t *testing.T) {
	t.Parallel()
	const secret = "hunter2"
	for _, args := range [][]string{
		{"-token=" + secret, "read"},
		{"read", "---x=" + secret},
		{"token", "lookup", "-self=" + secret},
		{"token", "lookup", "-frob", "-address=" + secret},
	} {
		_, err := Parse(args)
		if err == nil {
			t.Fatalf("Parse(%q): got no error, want one", args)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Parse(%q): error %q shows a value", args, err)
		}
	}
}

func TestFlagKindsCoverTheHTTPOptions(t *testing.T) {
	t.Parallel()
	for _, list := range [][]string{commands, noHTTPFlags, boolFlags, valueFlags} {
		if !slices.IsSorted(list) {
			t.Fatalf("a list is not sorted: binary search would miss names")
		}
	}
	for name, want := range map[string]flagKind{
		"address": kindValue, "agent-address": kindValue, "namespace": kindValue, "ns": kindValue,
		"tls-skip-verify": kindBool, "non-interactive": kindBool, "output-curl-string": kindBool,
		"policy-override": kindBool, "disable-redirects": kindBool, "wrap-ttl": kindValue,
		"mfa": kindValue, "header": kindValue, "unlock-key": kindValue, "format": kindValue,
		"field": kindValue, "detailed": kindBool, "f": kindBool, "dr-token": kindUnknown,
	} {
		if got := kindOf(name); got != want {
			t.Errorf("kindOf(%q) = %d, want %d", name, got, want)
		}
	}
}
