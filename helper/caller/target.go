package caller

import (
	"errors"
	"fmt"
	"strings"
)

// ErrConflict is returned when the caller is unknown and a VAULT_ variable
// and its BAO_ twin name different servers (or namespaces): a Vault tool
// would use one, an OpenBao tool the other.
var ErrConflict = errors.New("VAULT_ and BAO_ variables disagree")

// Env is what Target needs of the environment and of the token store.
type Env struct {
	// Lookup is os.LookupEnv: OpenBao tells a set-but-empty variable from
	// an unset one.
	Lookup func(string) (string, bool)
	// SameAddr reports whether two address values name the same server
	// (store.SameServer); SameNS the same for namespaces.
	SameAddr func(a, b string) bool
	SameNS   func(a, b string) bool
}

// Target returns the address and namespace the caller's command talks
// to, as raw values (an empty address is the CLI's default):
//
//   - A flag on the CLI's command line wins (-address, -ns, -namespace),
//     as in the CLI. An empty -address means the environment's, as in
//     BaseCommand.Client.
//   - An agent address wins over both: -agent-address, else
//     VAULT_AGENT_ADDR (BAO_AGENT_ADDR with the precedence below), when
//     not empty once trimmed. vault/api's NewClient sends every request
//     to Config.AgentAddress when it is set, whatever -address says, and
//     the CLI sets it from the flag over the variable (BaseCommand.Client,
//     Config.ReadEnvironment): the token follows the request.
//   - Under the vault CLI, VAULT_ADDR and VAULT_NAMESPACE only: vault
//     never reads BAO_ variables, so a stray BAO_ADDR changes nothing.
//   - Under the bao CLI, OpenBao's precedence (api.ReadBaoVariable):
//     BAO_ADDR when it is set, even empty, else VAULT_ADDR; the same for
//     the namespace.
//   - With an unknown caller, a BAO_ variable counts where its VAULT_ twin
//     is unset (an empty VAULT_ADDR is unset to vault/api); when both are
//     set and name different servers, ErrConflict.
//   - Under `vault server` (or `bao server`), the dev server's listener:
//     -dev-listen-address, else VAULT_DEV_LISTEN_ADDRESS (bao: BAO_ then
//     VAULT_), else 127.0.0.1:8200; https with -dev-tls, http otherwise;
//     the root namespace. The environment's address is never used: the
//     CLI hands the helper the root token of the server it starts.
//   - While the CLI completes a command line (COMP_LINE set), its
//     completion client ignores the flags: the environment decides.
func Target(c Caller, env Env) (addr, ns string, err error) {
	var f Flags
	if comp, _ := env.Lookup("COMP_LINE"); c.CLI != Unknown && comp == "" {
		f, err = Parse(c.Args)
		if err != nil {
			return "", "", err
		}
	}
	if f.DevServer {
		return devListener(c.CLI, f, env), "", nil
	}
	addr, err = fromEnv(c.CLI, env, "ADDR", env.SameAddr)
	if err != nil {
		return "", "", err
	}
	ns, err = fromEnv(c.CLI, env, "NAMESPACE", env.SameNS)
	if err != nil {
		return "", "", err
	}
	if f.Addr != "" {
		addr = f.Addr
	}
	agent, err := fromEnv(c.CLI, env, "AGENT_ADDR", env.SameAddr)
	if err != nil {
		return "", "", err
	}
	if f.AgentAddr != "" {
		agent = f.AgentAddr
	}
	if strings.TrimSpace(agent) != "" {
		addr = agent
	}
	if f.NSSet {
		ns = f.NS
	}
	return addr, ns, nil
}

// fromEnv reads VAULT_<name> and BAO_<name> with the caller's precedence.
func fromEnv(cli CLI, env Env, name string, same func(a, b string) bool) (string, error) {
	v, _ := env.Lookup("VAULT_" + name)
	b, bSet := env.Lookup("BAO_" + name)
	switch cli {
	case Vault:
		return v, nil
	case Bao:
		if bSet {
			return b, nil
		}
		return v, nil
	}
	switch {
	case !bSet:
		return v, nil
	case v == "":
		return b, nil
	case same(v, b):
		return v, nil
	}
	return "", fmt.Errorf("%w: VAULT_%s=%q and BAO_%s=%q name different %s, and the program that runs the helper is neither vault nor bao; unset one of them", ErrConflict, name, v, name, b, map[string]string{"ADDR": "servers", "AGENT_ADDR": "agents", "NAMESPACE": "namespaces"}[name])
}

// DefaultDevListen is the dev server's -dev-listen-address default.
const DefaultDevListen = "127.0.0.1:8200"

// devListener is the address of the dev server `vault server -dev`
// starts, as its command line and environment set it (command/server.go:
// the -dev-listen-address flag reads VAULT_DEV_LISTEN_ADDRESS; OpenBao
// reads BAO_ first).
func devListener(cli CLI, f Flags, env Env) string {
	listen := f.DevListen
	if listen == "" && cli == Bao {
		listen, _ = env.Lookup("BAO_DEV_LISTEN_ADDRESS")
	}
	if listen == "" {
		listen, _ = env.Lookup("VAULT_DEV_LISTEN_ADDRESS")
	}
	if listen == "" {
		listen = DefaultDevListen
	}
	scheme := "http://"
	if f.DevTLS {
		scheme = "https://"
	}
	return scheme + listen
}

// DevServer reports whether c is `vault server` (or `bao server`): its
// store hands the helper the root token of the dev server it starts.
func DevServer(c Caller) bool {
	if c.CLI == Unknown {
		return false
	}
	f, err := Parse(c.Args)
	return err == nil && f.DevServer
}
