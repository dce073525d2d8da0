// Package basedir computes the XDG base directories the tool keeps its
// files under, from the environment it is given: the one computation
// that both the front (`get`) and the full binary (every other verb)
// use, so that `get` reads the directory `store` wrote into on every
// platform.
//
// The rules are adrg/xdg's for the process environment on Linux and
// macOS (helper's TestPathsFromEnvAgreesWithXDG holds them together): a
// variable counts when it is an absolute path after ~ or $HOME
// expansion, otherwise the platform default under HOME applies
// (~/.local/share, ~/.local/state, ~/.config; ~/Library/Application
// Support on macOS). Windows uses the same HOME-relative defaults (the
// front sets HOME from the user's profile when it is unset), not
// adrg/xdg's %LOCALAPPDATA%.
//
// It imports only the standard library: the front links it, and every
// `get` pays for its start-up.
package basedir

import (
	"path/filepath"
	"runtime"
	"strings"
)

// Dirs are the base directories (without the tool's own subdirectory).
type Dirs struct {
	Home, Data, State, Config string
}

// Of computes the base directories from getenv (HOME, XDG_DATA_HOME,
// XDG_STATE_HOME, XDG_CONFIG_HOME). An unset HOME counts as "/".
func Of(getenv func(string) string) Dirs {
	home := getenv("HOME")
	if home == "" {
		home = "/"
	}
	dir := func(name string, fallback ...string) string {
		v := getenv(name)
		switch {
		case strings.HasPrefix(v, "~"):
			v = filepath.Join(home, v[1:])
		case strings.HasPrefix(v, "$HOME"):
			v = filepath.Join(home, v[5:])
		}
		if v != "" && filepath.IsAbs(v) {
			return v
		}
		return filepath.Join(append([]string{home}, fallback...)...)
	}
	dataDef, stateDef, configDef := []string{".local", "share"}, []string{".local", "state"}, []string{".config"}
	if runtime.GOOS == "darwin" {
		appSupport := []string{"Library", "Application Support"}
		dataDef, stateDef, configDef = appSupport, appSupport, appSupport
	}
	return Dirs{
		Home:   home,
		Data:   dir("XDG_DATA_HOME", dataDef...),
		State:  dir("XDG_STATE_HOME", stateDef...),
		Config: dir("XDG_CONFIG_HOME", configDef...),
	}
}
