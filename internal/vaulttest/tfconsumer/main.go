// Command tfconsumer gets its token as terraform-provider-vault does when
// its configuration names no token, for the consumer tests: vault/api's
// cliconfig.DefaultTokenHelper() (the token_helper of ~/.vault or
// $VAULT_CONFIG_PATH; the built-in file helper, ~/.vault-token, when none
// is named), whose Get runs `<helper> get` with the process's environment,
// so VAULT_ADDR from the environment; with -address (the provider's
// address with add_address_to_env = true), VAULT_ADDR is set to it first.
// The output is trimmed, as the provider trims it.
//
// It then looks the token up against the address (VAULT_ADDR) and, with
// -namespace, in that namespace, and prints one line
// "accessor=ACC namespace_path=NS": never the token. With no token it
// prints "no token" and exits 1; a lookup that fails exits 2.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/vault/api"
	"github.com/hashicorp/vault/api/cliconfig"
)

func main() {
	address := flag.String("address", "", "the provider's address, exported as VAULT_ADDR (add_address_to_env)")
	namespace := flag.String("namespace", "", "the provider's namespace")
	flag.Parse()
	if *address != "" {
		if err := os.Setenv(api.EnvVaultAddress, *address); err != nil {
			fail(2, "set VAULT_ADDR: %v", err)
		}
	}
	helper, err := cliconfig.DefaultTokenHelper()
	if err != nil {
		fail(2, "load the token helper: %v", err)
	}
	token, err := helper.Get()
	if err != nil {
		fail(2, "get the token from the token helper: %v", err)
	}
	token = strings.TrimSpace(token)
	if token == "" {
		fmt.Println("no token")
		os.Exit(1)
	}
	cfg := api.DefaultConfig()
	cfg.MaxRetries = 0
	c, err := api.NewClient(cfg)
	if err != nil {
		fail(2, "client: %v", err)
	}
	c.SetToken(token)
	c.SetNamespace(*namespace)
	sec, err := c.Auth().Token().LookupSelf()
	if err != nil {
		fail(2, "lookup-self at %s: %v", c.Address(), err)
	}
	acc, _ := sec.Data["accessor"].(string)
	ns, _ := sec.Data["namespace_path"].(string)
	fmt.Printf("accessor=%s namespace_path=%s\n", acc, ns)
}

func fail(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "tfconsumer: "+format+"\n", args...)
	os.Exit(code)
}
