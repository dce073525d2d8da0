package basedir

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestOf(t *testing.T) {
	t.Parallel()
	def := func(home string) Dirs {
		if runtime.GOOS == "darwin" {
			as := filepath.Join(home, "Library", "Application Support")
			return Dirs{Home: home, Data: as, State: as, Config: as}
		}
		return Dirs{Home: home, Data: filepath.Join(home, ".local", "share"), State: filepath.Join(home, ".local", "state"), Config: filepath.Join(home, ".config")}
	}
	home := filepath.Join(string(filepath.Separator), "home", "u")
	abs := func(p string) string { return filepath.Join(string(filepath.Separator), "x", p) }
	tests := []struct {
		name string
		env  map[string]string
		want func() Dirs
	}{
		{"defaults", map[string]string{"HOME": home}, func() Dirs { return def(home) }},
		{"no HOME is /", nil, func() Dirs { return def(string(filepath.Separator)) }},
		{"absolute", map[string]string{"HOME": home, "XDG_DATA_HOME": abs("d"), "XDG_STATE_HOME": abs("s"), "XDG_CONFIG_HOME": abs("c")},
			func() Dirs { return Dirs{Home: home, Data: abs("d"), State: abs("s"), Config: abs("c")} }},
		{"relative is ignored", map[string]string{"HOME": home, "XDG_DATA_HOME": "rel/d", "XDG_CONFIG_HOME": "rel"}, func() Dirs { return def(home) }},
		{"tilde and $HOME", map[string]string{"HOME": home, "XDG_DATA_HOME": "~/d", "XDG_STATE_HOME": "$HOME/s"}, func() Dirs {
			d := def(home)
			d.Data, d.State = filepath.Join(home, "d"), filepath.Join(home, "s")
			return d
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Of(func(k string) string { return tt.env[k] })
			if want := tt.want(); got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}
