package helper

// check-config: every error of the configuration file.

import (
	"fmt"
	"io"
	"os"
)

// checkConfig parses the configuration file (or the one named) and
// reports every error, each with its line and key; it talks to no Vault.
// A file named on the command line must exist.
func checkConfig(args []string, stdout, stderr io.Writer, env Env) int {
	path := env.Paths.Config
	if len(args) == 1 {
		path = args[0]
		if _, err := os.Stat(path); err != nil {
			return fail(stderr, "check-config: ", fmt.Errorf("cannot read %q; name an existing file: %w", path, err))
		}
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		errs := ConfigErrors(err)
		if len(errs) == 0 {
			return fail(stderr, "check-config: ", err)
		}
		fmt.Fprintf(stderr, "vault-token-helper: check-config: %q is not valid: %d error(s)\n", path, len(errs))
		for _, e := range errs {
			where := "file"
			if e.Line > 0 {
				where = fmt.Sprintf("line %d", e.Line)
			}
			if e.Key != "" {
				where += ": " + e.Key
			}
			fmt.Fprintf(stderr, "  %s: %s\n", where, oneLine(e.Msg))
		}
		return ExitFail
	}
	if cfg.Path == "" {
		fmt.Fprintf(stdout, "%q does not exist: the defaults apply\n", path)
		return ExitOK
	}
	fmt.Fprintf(stdout, "%q is valid\n", path)
	return ExitOK
}
