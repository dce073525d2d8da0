package version

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	t.Parallel()
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "8012700abcdef0123456789abcdef0123456789a"
	tests := []struct {
		name            string
		stamped, commit string
		bi              *debug.BuildInfo
		want            Info
		dev             bool
	}{
		{"make dist: stamped release, clean tree", "1.2.0", rev,
			&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "false")},
			Info{Version: "1.2.0", Commit: "8012700abcde", GoVersion: "go1.26.0"}, false},
		{"plain go build in a checkout with local changes", "dev", "",
			&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v0.0.0-20261203175518-8012700abcde+dirty"}, Settings: vcs(rev, "true")},
			Info{Version: Dev, Commit: "8012700abcde+dirty", GoVersion: "go1.26.0"}, true},
		{"plain go build outside a checkout", "dev", "",
			&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			Info{Version: Dev, Commit: "unknown", GoVersion: "go1.26.0"}, true},
		{"go install module/cmd/...@v1.3.0", "dev", "",
			&debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.3.0"}},
			Info{Version: "v1.3.0", Commit: "unknown", GoVersion: "go1.26.1"}, false},
		{"go install at a commit (pseudo-version) is development", "", "",
			&debug.BuildInfo{GoVersion: "go1.26.1", Main: debug.Module{Version: "v1.3.1-0.20261203175518-8012700abcde"}},
			Info{Version: Dev, Commit: "unknown", GoVersion: "go1.26.1"}, true},
		{"make build -buildvcs=false: commit from -ldflags", "8012700-dirty", rev,
			&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			Info{Version: "8012700-dirty", Commit: "8012700abcde", GoVersion: "go1.26.0"}, false},
		{"the recorded revision wins over -ldflags", "1.2.0", "ffffffffffffffff",
			&debug.BuildInfo{GoVersion: "go1.26.0", Settings: vcs(rev, "false")},
			Info{Version: "1.2.0", Commit: "8012700abcde", GoVersion: "go1.26.0"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := resolve(tt.stamped, tt.commit, tt.bi)
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if got.Development() != tt.dev {
				t.Errorf("Development() = %v, want %v", got.Development(), tt.dev)
			}
		})
	}
}

// TestOfThisBinary: a test binary is built with no stamp, so it is a
// development build, with the toolchain's Go version.
func TestOfThisBinary(t *testing.T) {
	t.Parallel()
	got := Of("dev", "")
	if !got.Development() || got.GoVersion == "" {
		t.Errorf("got %+v, want a development build with a Go version", got)
	}
}

func TestIsPseudo(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"v0.0.0-20261203175518-8012700abcde", true},
		{"v1.3.1-0.20261203175518-8012700abcde", true},
		{"v1.3.1-rc.1.0.20261203175518-8012700abcde+dirty", true},
		{"v1.3.1", false},
		{"v1.3.1-rc.1", false},
		{"v0.0.0-2026120317551-8012700abcde", false},  // 13 digits
		{"v0.0.0-20261203175518-8012700ABCDE", false}, // upper case is no revision
		{"v0.0.0-20261203175518-8012700abcd", false},  // 11 hex digits
		{"(devel)", false},
		{"", false},
	} {
		if got := isPseudo(tc.v); got != tc.want {
			t.Errorf("isPseudo(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
