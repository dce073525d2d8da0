package caller

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse: any command line is parsed without a panic, the same way
// twice; an error is always ErrUncertain; a command line without an
// -address, -agent-address, -namespace or -ns flag never yields one; and
// an address comes from the command line.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"token\x00lookup\x00-address=http://b:8200",
		"token\x00lookup\x00--address\x00http://b:8200\x00-ns\x00team",
		"login\x00-method=userpass\x00username=u\x00-address=http://b:8200",
		"kv\x00get\x00-frob\x00-address\x00http://b:8200",
		"\x00-version\x00operator\x00raft\x00list-peers\x00-dr-token\x00-address=x",
		"read\x00--\x00-h",
		"server\x00-dev",
		"token\x00lookup\x00-agent-address=http://b:8100\x00-address\x00http://a:8200",
		"server\x00-dev\x00-agent-address\x00http://b:8100",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Split(line, "\x00")
		got, err := Parse(args)
		again, err2 := Parse(args)
		if got != again || (err == nil) != (err2 == nil) {
			t.Fatalf("Parse(%q) twice: %+v, %v then %+v, %v", args, got, err, again, err2)
		}
		if err != nil {
			if !errors.Is(err, ErrUncertain) {
				t.Fatalf("Parse(%q): error %v is not ErrUncertain", args, err)
			}
			return
		}
		mentions := false
		for _, a := range args {
			if name, _, ok := flagName(a); ok && isServerFlag(name) {
				mentions = true
			}
		}
		if got.DevServer && (got.Addr != "" || got.AgentAddr != "" || got.NSSet) {
			t.Fatalf("Parse(%q) = %+v: the dev server's listener and a server flag", args, got)
		}
		got.DevServer, got.DevListen, got.DevTLS = false, "", false
		if !mentions && got != (Flags{}) {
			t.Fatalf("Parse(%q) = %+v without any server flag", args, got)
		}
		if got.Addr != "" && !strings.Contains(line, got.Addr) {
			t.Fatalf("Parse(%q): address %q is not on the command line", args, got.Addr)
		}
		if got.AgentAddr != "" && !strings.Contains(line, got.AgentAddr) {
			t.Fatalf("Parse(%q): agent address %q is not on the command line", args, got.AgentAddr)
		}
	})
}
