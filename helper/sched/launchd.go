package sched

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Plist is the LaunchAgent that runs bindir/vault-token-renew once a
// day at 12:17 local time and at load (login), with its output appended
// to logDir/vault-token-renew.out. launchd runs a StartCalendarInterval
// job missed while the Mac slept when it wakes.
func Plist(bindir, logDir string) string {
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	log := esc(filepath.Join(logDir, LogName))
	return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>` + Label + `</string>
	<key>ProgramArguments</key>
	<array>
		<string>` + esc(filepath.Join(bindir, RenewName)) + `</string>
	</array>
	<key>StartCalendarInterval</key>
	<dict>
		<key>Hour</key>
		<integer>12</integer>
		<key>Minute</key>
		<integer>17</integer>
	</dict>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Background</string>
	<key>Umask</key>
	<integer>63</integer>
	<key>StandardOutPath</key>
	<string>` + log + `</string>
	<key>StandardErrorPath</key>
	<string>` + log + `</string>
</dict>
</plist>
`
}

func (e Env) domain() string  { return "gui/" + strconv.Itoa(e.UID) }
func (e Env) service() string { return e.domain() + "/" + Label }

func (e Env) bootstrapCmd() string {
	return fmt.Sprintf("launchctl bootstrap %s %s", e.domain(), e.PlistPath())
}

func launchdState(ctx context.Context, e Env) Scheduler {
	s := Scheduler{Kind: Launchd}
	p := e.PlistPath()
	if _, err := os.Stat(p); err == nil {
		s.Installed = true
	}
	if !e.has("launchctl") {
		s.Detail = "no launchctl"
		if s.Installed {
			s.Detail = p + " is installed, but there is no launchctl to load it"
			s.Fix = "on the Mac: " + e.bootstrapCmd()
		}
		return s
	}
	_, err := e.Run(ctx, nil, "launchctl", "print", e.service())
	loaded := err == nil
	switch {
	case loaded && s.Installed:
		s.Active = true
		s.Detail = Label + " is loaded from " + p
	case loaded:
		s.Detail = Label + " is loaded, but " + p + " is gone: it will not come back after logout"
		s.Fix = fmt.Sprintf("launchctl bootout %s, then setup --scheduler launchd", e.service())
	case s.Installed:
		s.Detail = p + " is installed, but launchd has not loaded it"
		s.Fix = e.bootstrapCmd()
	default:
		s.Detail = "no LaunchAgent " + p
	}
	return s
}

func installLaunchd(ctx context.Context, e Env, bindir string, stdout, stderr io.Writer) error {
	if err := os.MkdirAll(e.LogDir, 0o700); err != nil {
		return fmt.Errorf("create the log directory %q: %w", e.LogDir, err)
	}
	p := e.PlistPath()
	changed, err := writeFile(p, []byte(Plist(bindir, e.LogDir)), 0o644)
	if err != nil {
		return fmt.Errorf("cannot write the LaunchAgent: %w", err)
	}
	if changed {
		say(stdout, "wrote %s", p)
	} else {
		say(stdout, "%s is up to date", p)
	}
	if !e.has("launchctl") {
		say(stdout, "no launchctl here; to load the LaunchAgent run: %s", e.bootstrapCmd())
		return nil
	}
	_, err = e.Run(ctx, nil, "launchctl", "print", e.service())
	loaded := err == nil
	if loaded && !changed {
		say(stdout, "%s is loaded already", Label)
		return nil
	}
	if loaded {
		// A changed file is read again only by a new bootstrap.
		if out, err := e.Run(ctx, nil, "launchctl", "bootout", e.service()); err != nil {
			say(stderr, "%s", strings.TrimSpace(out))
			return fmt.Errorf("could not unload the old %s (launchctl output above); run: launchctl bootout %s && %s", Label, e.service(), e.bootstrapCmd())
		}
	}
	if out, err := e.Run(ctx, nil, "launchctl", "bootstrap", e.domain(), p); err != nil {
		say(stderr, "%s", strings.TrimSpace(out))
		return fmt.Errorf("could not load %s (launchctl output above); run: %s", p, e.bootstrapCmd())
	}
	say(stdout, "loaded %s into launchd (%s)", Label, e.domain())
	return nil
}

func uninstallLaunchd(ctx context.Context, e Env, stdout, stderr io.Writer) error {
	p := e.PlistPath()
	if e.has("launchctl") {
		if _, err := e.Run(ctx, nil, "launchctl", "print", e.service()); err == nil {
			if out, err := e.Run(ctx, nil, "launchctl", "bootout", e.service()); err != nil {
				say(stderr, "%s", strings.TrimSpace(out))
				return fmt.Errorf("could not unload %s (launchctl output above); run: launchctl bootout %s", Label, e.service())
			}
			say(stdout, "unloaded %s from launchd", Label)
		}
	}
	switch err := os.Remove(p); {
	case err == nil:
		say(stdout, "removed %s", p)
		if !e.has("launchctl") {
			say(stdout, "no launchctl here; if the agent is loaded on the Mac, run: launchctl bootout %s", e.service())
		}
	case errors.Is(err, fs.ErrNotExist):
		say(stdout, "no LaunchAgent %s", p)
	default:
		return fmt.Errorf("cannot remove %q: %w", p, err)
	}
	return nil
}
