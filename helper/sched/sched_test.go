package sched

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"howett.net/plist"
)

// fakeWorld is an Env whose commands are stand-in scripts in a bin dir,
// found by LookPath only there.
type fakeWorld struct {
	env   Env
	bin   string // the stand-ins
	calls string // each stand-in appends "name args" here
	tab   string // the stand-in crontab's file
}

func newFakeWorld(t *testing.T, cmds ...string) *fakeWorld {
	t.Helper()
	dir := t.TempDir()
	w := &fakeWorld{bin: filepath.Join(dir, "fakebin"), calls: filepath.Join(dir, "calls"), tab: filepath.Join(dir, "crontab.txt")}
	if err := os.MkdirAll(w.bin, 0o700); err != nil {
		t.Fatal(err)
	}
	scripts := map[string]string{
		// crontab -l prints the table or fails as cron does for a user
		// without one; crontab - replaces it with stdin.
		"crontab": `case "$1" in
-l) if [ -f '` + w.tab + `' ]; then cat '` + w.tab + `'; else echo "no crontab for $USER" >&2; exit 1; fi ;;
-) cat > '` + w.tab + `' ;;
*) echo "crontab: bad args $*" >&2; exit 2 ;;
esac`,
		// launchctl print fails until bootstrap, as launchd does.
		"launchctl": `case "$1" in
print) [ -f '` + dir + `/loaded' ] ;;
bootstrap) touch '` + dir + `/loaded' ;;
bootout) rm '` + dir + `/loaded' ;;
esac`,
		// schtasks /Query fails until /Create, as the Task Scheduler does.
		"schtasks": `case "$1" in
/Query) [ -f '` + dir + `/task' ] && echo "Status: Ready" ;;
/Create) touch '` + dir + `/task' ;;
/Delete) rm '` + dir + `/task' ;;
esac`,
	}
	for _, c := range cmds {
		script := "#!/bin/sh\necho \"" + c + " $*\" >>'" + w.calls + "'\n" + scripts[c] + "\n"
		if err := os.WriteFile(filepath.Join(w.bin, c), []byte(script), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	w.env = Env{
		Home:    filepath.Join(dir, "home"),
		UnitDir: filepath.Join(dir, "home", ".config", "systemd", "user"),
		LogDir:  filepath.Join(dir, "home", ".local", "state", "vault-token-helper"),
		UID:     501,
		LookPath: func(name string) (string, error) {
			p := filepath.Join(w.bin, name)
			if _, err := os.Stat(p); err != nil {
				return "", exec.ErrNotFound
			}
			return p, nil
		},
		Run: func(ctx context.Context, stdin []byte, name string, args ...string) (string, error) {
			cmd := exec.CommandContext(ctx, filepath.Join(w.bin, name), args...)
			if stdin != nil {
				cmd.Stdin = bytes.NewReader(stdin)
			}
			out, err := cmd.CombinedOutput()
			return string(out), err
		},
	}
	return w
}

func (w *fakeWorld) callList(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(w.calls)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// launchAgent is the part of a LaunchAgent plist that launchd reads.
type launchAgent struct {
	Label                 string
	ProgramArguments      []string
	StartCalendarInterval map[string]int
	RunAtLoad             bool
	StandardOutPath       string
	StandardErrorPath     string
}

func TestPlistParses(t *testing.T) {
	t.Parallel()
	tests := []struct{ bindir, logDir string }{
		{"/Users/ann/.local/bin", "/Users/ann/Library/Application Support/vault-token-helper"},
		{"/opt/a&b<c>/bin", "/tmp/l\"og"}, // escaped, not broken
	}
	for _, tt := range tests {
		t.Run(tt.bindir, func(t *testing.T) {
			t.Parallel()
			var got launchAgent
			if _, err := plist.Unmarshal([]byte(Plist(tt.bindir, tt.logDir)), &got); err != nil {
				t.Fatalf("the plist does not parse: %v", err)
			}
			if want := []string{filepath.Join(tt.bindir, RenewName)}; !slices.Equal(got.ProgramArguments, want) {
				t.Errorf("ProgramArguments = %q, want %q", got.ProgramArguments, want)
			}
			if got.Label != Label {
				t.Errorf("Label = %q, want %q", got.Label, Label)
			}
			if !got.RunAtLoad {
				t.Error("RunAtLoad = false, want true")
			}
			if _, ok := got.StartCalendarInterval["Hour"]; !ok || len(got.StartCalendarInterval) != 2 {
				t.Errorf("StartCalendarInterval = %v, want an Hour and a Minute (once a day)", got.StartCalendarInterval)
			}
			log := filepath.Join(tt.logDir, LogName)
			if got.StandardOutPath != log || got.StandardErrorPath != log {
				t.Errorf("StandardOutPath, StandardErrorPath = %q, %q, want %q", got.StandardOutPath, got.StandardErrorPath, log)
			}
		})
	}
}

func TestLaunchd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bindir := "/Users/ann/.local/bin"
	t.Run("with launchctl", func(t *testing.T) {
		t.Parallel()
		w := newFakeWorld(t, "launchctl")
		if s := StateOf(ctx, w.env, Launchd); s.Installed || s.Active {
			t.Errorf("before install: %+v, want neither installed nor active", s)
		}
		os.Remove(w.calls)
		var out bytes.Buffer
		if err := Install(ctx, w.env, Launchd, bindir, &out, &out); err != nil {
			t.Fatalf("install: %v\n%s", err, out.String())
		}
		wantCalls := []string{"launchctl print gui/501/" + Label, "launchctl bootstrap gui/501 " + w.env.PlistPath()}
		if got := w.callList(t); !slices.Equal(got, wantCalls) {
			t.Errorf("calls = %q, want %q", got, wantCalls)
		}
		if s := StateOf(ctx, w.env, Launchd); !s.Installed || !s.Active {
			t.Errorf("after install: %+v, want installed and active", s)
		}
		if s := State(ctx, w.env, "darwin", "vth"); s.Kind != Launchd || !s.Active {
			t.Errorf("State = %+v, want launchd active", s)
		}
		os.Remove(w.calls)
		out.Reset()
		if err := Install(ctx, w.env, Launchd, bindir, &out, &out); err != nil {
			t.Fatalf("second install: %v", err)
		}
		if got, want := w.callList(t), wantCalls[:1]; !slices.Equal(got, want) {
			t.Errorf("calls of a second install = %q, want only %q", got, want)
		}
		if !strings.Contains(out.String(), "up to date") {
			t.Errorf("second install says %q, want it up to date", out.String())
		}
		if err := Uninstall(ctx, w.env, Launchd, &out, &out); err != nil {
			t.Fatalf("uninstall: %v", err)
		}
		if _, err := os.Stat(w.env.PlistPath()); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the plist is still there after uninstall: %v", err)
		}
		if s := StateOf(ctx, w.env, Launchd); s.Installed || s.Active {
			t.Errorf("after uninstall: %+v, want neither installed nor active", s)
		}
	})
	t.Run("without launchctl", func(t *testing.T) {
		t.Parallel()
		w := newFakeWorld(t)
		var out bytes.Buffer
		if err := Install(ctx, w.env, Launchd, bindir, &out, &out); err != nil {
			t.Fatalf("install: %v", err)
		}
		want := "launchctl bootstrap gui/501 " + w.env.PlistPath()
		if !strings.Contains(out.String(), want) {
			t.Errorf("install says %q, want the command %q", out.String(), want)
		}
		s := StateOf(ctx, w.env, Launchd)
		if !s.Installed || s.Active || !strings.Contains(s.Fix, want) {
			t.Errorf("state = %+v, want installed, not active, fix %q", s, want)
		}
	})
}

func TestCron(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bindir := "/home/ann/.local/bin"
	w := newFakeWorld(t, "crontab")
	other := "0 3 * * * /usr/bin/backup # not ours\n"
	if err := os.WriteFile(w.tab, []byte(other), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for i := range 2 {
		if err := Install(ctx, w.env, Cron, bindir, &out, &out); err != nil {
			t.Fatalf("install %d: %v", i+1, err)
		}
	}
	tab, err := os.ReadFile(w.tab)
	if err != nil {
		t.Fatal(err)
	}
	line := CronLine(bindir, w.env.LogDir)
	if got, want := string(tab), other+line+"\n"; got != want {
		t.Errorf("crontab after two installs = %q, want %q", got, want)
	}
	if n := strings.Count(string(tab), filepath.Join(bindir, RenewName)); n != 1 {
		t.Errorf("the crontab names vault-token-renew %d times, want once", n)
	}
	if s := State(ctx, w.env, "linux", "vth"); s.Kind != Cron || !s.Active {
		t.Errorf("State = %+v, want cron active", s)
	}
	if err := Uninstall(ctx, w.env, Cron, &out, &out); err != nil {
		t.Fatalf("uninstall: %v", err)
	}
	if tab, _ := os.ReadFile(w.tab); string(tab) != other {
		t.Errorf("crontab after uninstall = %q, want %q", tab, other)
	}
	if s := State(ctx, w.env, "linux", "vth"); s.Kind != None || s.Active || !strings.Contains(s.Fix, "vth setup --scheduler cron") {
		t.Errorf("State after uninstall = %+v, want none with a fix naming cron", s)
	}
}

func TestCronWithoutCrontab(t *testing.T) {
	t.Parallel()
	w := newFakeWorld(t, "crontab")
	var out bytes.Buffer
	if err := Install(context.Background(), w.env, Cron, "/b", &out, &out); err != nil {
		t.Fatalf("install for a user without a crontab: %v", err)
	}
	if tab, _ := os.ReadFile(w.tab); string(tab) != CronLine("/b", w.env.LogDir)+"\n" {
		t.Errorf("crontab = %q, want only our line", tab)
	}
	w2 := newFakeWorld(t)
	if err := Install(context.Background(), w2.env, Cron, "/b", &out, &out); err == nil || !strings.Contains(err.Error(), "no crontab command") {
		t.Errorf("install without crontab: got %v, want an error naming the missing command", err)
	}
}

func TestSystemdState(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		unit          bool
		show          string
		manager       bool
		wantInstalled bool
		wantActive    bool
		wantFix       string
	}{
		{"enabled and active", true, "UnitFileState=enabled\nActiveState=active\n", true, true, true, ""},
		{"disabled", true, "UnitFileState=disabled\nActiveState=inactive\n", true, true, false, "enable --now"},
		{"no manager", true, "", false, true, false, "enable --now"},
		{"nothing", false, "UnitFileState=\nActiveState=inactive\n", true, false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newFakeWorld(t)
			w.env.LookPath = func(string) (string, error) { return "/bin/systemctl", nil }
			w.env.Systemctl = func(args ...string) (string, error) {
				if !tt.manager {
					return "", errors.New("Failed to connect to bus")
				}
				if args[0] == "show" {
					return tt.show, nil
				}
				return "", nil
			}
			if tt.unit {
				if _, err := writeFile(filepath.Join(w.env.UnitDir, "vault-token-renew.timer"), []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s := StateOf(context.Background(), w.env, Systemd)
			if s.Installed != tt.wantInstalled || s.Active != tt.wantActive || !strings.Contains(s.Fix, tt.wantFix) || (tt.wantFix == "" && s.Fix != "") {
				t.Errorf("got %+v, want installed %v, active %v, fix %q", s, tt.wantInstalled, tt.wantActive, tt.wantFix)
			}
		})
	}
}

func TestDefault(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		goos       string
		cmds       []string
		manager    bool
		want       Kind
		wantAdvice string
	}{
		{"darwin", "darwin", nil, false, Launchd, ""},
		{"linux with a manager", "linux", []string{"systemctl"}, true, Systemd, ""},
		{"linux, cron", "linux", []string{"crontab"}, false, Systemd, "bin setup --scheduler cron"},
		{"linux, nothing", "linux", nil, false, Systemd, "lazy renew"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newFakeWorld(t, tt.cmds...)
			w.env.Systemctl = func(...string) (string, error) {
				if tt.manager {
					return "", nil
				}
				return "", errors.New("no bus")
			}
			k, advice := Default(w.env, tt.goos, "bin")
			if k != tt.want || !strings.Contains(advice, tt.wantAdvice) || (tt.wantAdvice == "" && advice != "") {
				t.Errorf("got %s, %q; want %s, advice with %q", k, advice, tt.want, tt.wantAdvice)
			}
		})
	}
}

func TestCheckBindir(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		dir string
		ok  bool
	}{{"/home/a/.local/bin", true}, {"/home/a b/bin", false}, {"/x/100%/bin", false}, {"/x/'q'/bin", false}} {
		if err := CheckBindir(tt.dir); (err == nil) != tt.ok {
			t.Errorf("CheckBindir(%q) = %v, want ok %v", tt.dir, err, tt.ok)
		}
	}
}

// TestSchtasks: on Windows the Task Scheduler runs renew; install
// creates the task (replacing one of the same name), State finds it,
// uninstall deletes it, and a second uninstall says there is none.
func TestSchtasks(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	w := newFakeWorld(t, "schtasks")
	bindir := "C:/Users/ann/.local/bin"
	if k, advice := Default(w.env, "windows", "vth"); k != Schtasks || advice != "" {
		t.Errorf("Default on windows = %s, %q; want schtasks", k, advice)
	}
	var out bytes.Buffer
	if err := Install(ctx, w.env, Schtasks, bindir, &out, &out); err != nil {
		t.Fatalf("install: %v", err)
	}
	if got, want := w.callList(t), []string{"schtasks " + strings.Join(SchtasksCreate(bindir), " ")}; !slices.Equal(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if want := `/TR "` + filepath.FromSlash(bindir+"/vault-token-renew.exe") + `"`; !strings.Contains(strings.Join(SchtasksCreate(bindir), " "), want) {
		t.Errorf("create = %q, want it to run %s", SchtasksCreate(bindir), want)
	}
	if s := State(ctx, w.env, "windows", "vth"); s.Kind != Schtasks || !s.Active {
		t.Errorf("State = %+v, want schtasks active", s)
	}
	for i, want := range []string{"removed the vault-token-renew task", "no vault-token-renew task to remove"} {
		out.Reset()
		if err := Uninstall(ctx, w.env, Schtasks, &out, &out); err != nil || !strings.Contains(out.String(), want) {
			t.Errorf("uninstall %d: got %q, %v; want %q", i+1, out.String(), err, want)
		}
	}
	if s := StateOf(ctx, w.env, Schtasks); s.Installed {
		t.Errorf("after uninstall: %+v, want not installed", s)
	}
	if k, advice := Default(newFakeWorld(t).env, "windows", "vth"); k != None || !strings.Contains(advice, "lazy renew") {
		t.Errorf("Default on windows without schtasks = %s, %q; want none, with advice", k, advice)
	}
}
