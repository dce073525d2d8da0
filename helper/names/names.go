// Package names is the one place for the names of the three binaries of
// an installation. The usual names are the ones ./install.sh, setup and
// the packages install; `go install module/cmd/...@version` names them
// after their directories instead (token-helper, token-helper-full,
// renew). A binary finds its siblings by its own name, so both kinds of
// installation work, and setup always installs the usual names.
package names

import (
	"os"
	"path/filepath"
	"strings"
)

// Set is the names of the three binaries of one installation.
type Set struct {
	Helper string // the front the CLI runs as its token helper
	Full   string // every verb but get; the front executes it
	Renew  string // vault-token-renew, run by the scheduler
}

// The usual names.
const (
	Helper = "vault-token-helper"
	Full   = "vault-token-helper-full"
	Renew  = "vault-token-renew"
)

var (
	// Usual is what setup installs and every document names.
	Usual = Set{Helper: Helper, Full: Full, Renew: Renew}
	// GoInstall is what `go install module/cmd/...` names them.
	GoInstall = Set{Helper: "token-helper", Full: "token-helper-full", Renew: "renew"}
)

// Of is the set that a binary named self (a path or a base name, with
// or without .exe) belongs to, with self's .exe suffix on every name;
// Usual when self is none of the known names (a copy renamed by hand
// still finds the usual siblings).
func Of(self string) Set {
	base := filepath.Base(self)
	ext := ""
	if e := filepath.Ext(base); strings.EqualFold(e, ".exe") {
		ext, base = e, strings.TrimSuffix(base, e)
	}
	set := Usual
	if GoInstall.has(base) {
		set = GoInstall
	}
	return Set{Helper: set.Helper + ext, Full: set.Full + ext, Renew: set.Renew + ext}
}

// In is the set whose three binaries are all in dir (Usual first), with
// suffix (".exe" on Windows, "" elsewhere) on every name; Usual when
// neither is complete, so that the caller's error names the usual files.
func In(dir, suffix string) Set {
	for _, s := range []Set{Usual, GoInstall} {
		s = Set{Helper: s.Helper + suffix, Full: s.Full + suffix, Renew: s.Renew + suffix}
		if s.allIn(dir) {
			return s
		}
	}
	return Set{Helper: Usual.Helper + suffix, Full: Usual.Full + suffix, Renew: Usual.Renew + suffix}
}

// All is the three names, the full binary first (the order to install
// them in: the front must never run without it).
func (s Set) All() []string { return []string{s.Full, s.Helper, s.Renew} }

func (s Set) has(base string) bool {
	return base == s.Helper || base == s.Full || base == s.Renew
}

func (s Set) allIn(dir string) bool {
	for _, n := range s.All() {
		if fi, err := os.Stat(filepath.Join(dir, n)); err != nil || !fi.Mode().IsRegular() {
			return false
		}
	}
	return true
}
