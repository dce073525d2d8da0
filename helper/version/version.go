// Package version says which build a binary is: the release stamped at
// build time, the commit and the Go version. It is shared by the three
// binaries so that the front's --front-version and the full binary's
// version verb always agree (doctor compares them).
//
// The release comes from -ldflags "-X main.version=..." (make dist stamps
// the release, make build and install.sh `git describe`); failing that,
// from the module version Go records for `go install module/cmd/...@v1.2.3`.
// A plain `go build` or `go run` has neither: its version is Dev and
// `version` says it is a development build. The commit is the VCS
// revision Go records (vcs.revision, "+dirty" when vcs.modified), else the
// one from -ldflags "-X main.commit=...", else "unknown".
package version

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Dev is the version of a build that was stamped with none.
const Dev = "dev"

// Info is what `version` prints.
type Info struct {
	Version   string // the release, or Dev
	Commit    string // 12 hex digits, "+dirty" when the tree was modified; "unknown"
	GoVersion string
}

// Development reports whether this is a development build: no release
// version was stamped.
func (i Info) Development() bool { return i.Version == Dev }

// Of is this binary's Info, from the stamped version and commit (main's
// -ldflags variables; "" or Dev when unset) and the build information Go
// recorded.
func Of(stamped, commit string) Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return resolve(stamped, commit, bi)
}

// isPseudo reports whether v holds a Go pseudo-version's time and
// revision (v0.0.0-20261203175518-8012700abcde: 14 digits, a dash, 12
// lowercase hex digits): what `go build` in a checkout records when HEAD
// has no tag. That is a development build too. Written out rather than
// a regexp: the front links this package, and a compiled expression is
// start-up that every `get` would pay.
func isPseudo(v string) bool {
	const digits, hex = 14, 12
	for i := 0; i+digits+1+hex <= len(v); i++ {
		if allOf(v[i:i+digits], "0123456789") && v[i+digits] == '-' && allOf(v[i+digits+1:i+digits+1+hex], "0123456789abcdef") {
			return true
		}
	}
	return false
}

// allOf reports whether every byte of s is one of set.
func allOf(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

func resolve(stamped, commit string, bi *debug.BuildInfo) Info {
	i := Info{Version: stamped, Commit: "unknown", GoVersion: runtime.Version()}
	if bi != nil {
		i.GoVersion = bi.GoVersion
		if rev := revision(bi); rev != "" {
			i.Commit = rev
		}
		if v := bi.Main.Version; (i.Version == "" || i.Version == Dev) && v != "" && v != "(devel)" && !isPseudo(v) {
			i.Version = v
		}
	}
	if i.Version == "" {
		i.Version = Dev
	}
	if i.Commit == "unknown" && commit != "" {
		i.Commit = commit
		if len(i.Commit) > 12 {
			i.Commit = i.Commit[:12]
		}
	}
	return i
}

// revision is the VCS revision recorded in a build, "" when none.
func revision(bi *debug.BuildInfo) string {
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
		return ""
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}
