// Package systemd holds the systemd user units of vault-token-renew,
// embedded so that `vault-token-helper setup` installs exactly the files
// in this directory. The units are templates: Bindir is replaced by the
// directory of the installed binaries.
package systemd

import (
	_ "embed"
	"strings"
)

// Unit names.
const (
	Service = "vault-token-renew.service"
	Timer   = "vault-token-renew.timer"
)

// Bindir is the placeholder for the directory of the binaries.
const Bindir = "@BINDIR@"

//go:embed vault-token-renew.service
var service string

//go:embed vault-token-renew.timer
var timer string

// Units returns the unit files by name, with Bindir replaced by bindir.
func Units(bindir string) map[string]string {
	return map[string]string{
		Service: strings.ReplaceAll(service, Bindir, bindir),
		Timer:   strings.ReplaceAll(timer, Bindir, bindir),
	}
}
