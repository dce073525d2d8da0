package setup

// The scheduler that runs vault-token-renew: one at a time, or none by choice.

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vault-token-helper/vault-token-helper/helper/sched"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// schedEnv is the scheduler environment of this run.
func (r *run) schedEnv() sched.Env {
	e := r.env.Sched
	e.Home, e.UnitDir, e.LogDir = r.env.Paths.Home, r.env.Paths.UnitDir, r.env.Paths.State
	if e.LookPath == nil {
		e.LookPath = r.env.LookPath
	}
	if e.Systemctl == nil && r.env.Systemctl != nil {
		// Ask once per run whether a user manager answers: choosing the
		// default and installing both want to know.
		sc := r.env.Systemctl
		e.Systemctl = func(args ...string) (string, error) {
			if len(args) == 1 && args[0] == "show-environment" {
				if r.managerErr == nil {
					_, err := sc(args...)
					r.managerErr = &err
				}
				return "", *r.managerErr
			}
			return sc(args...)
		}
	}
	return e
}

func (r *run) goos() string {
	if r.env.GOOS != "" {
		return r.env.GOOS
	}
	return runtime.GOOS
}

// kind is the scheduler to install: --scheduler, else the default of
// the platform (sched.Default), whose advice becomes a hint.
func (r *run) kind() sched.Kind {
	if r.opt.noTimer {
		return sched.None
	}
	if r.opt.scheduler != "" {
		return r.opt.scheduler
	}
	k, advice := sched.Default(r.schedEnv(), r.goos(), r.bin)
	if advice != "" {
		r.hints = append(r.hints, "warning: "+advice)
	}
	return k
}

func (r *run) installScheduler(ctx context.Context) error {
	k := r.kind()
	r.sched = k
	se := r.schedEnv()
	if k == sched.None {
		if r.opt.noTimer {
			r.say("skipped the scheduler (--no-timer, which is --scheduler none)")
		} else {
			r.say("installed no scheduler (--scheduler none); the lazy renew of get is the only safety net unless you run %s yourself", filepath.Join(r.bindir, RenewName))
		}
	} else if err := sched.Install(ctx, se, k, r.bindir, r.out, r.errOut); err != nil {
		return err
	}
	// One scheduler at a time: the one chosen (none included) replaces
	// the others an earlier run installed.
	for _, other := range sched.Installable {
		if other == k || !sched.StateOf(ctx, se, other).Installed {
			continue
		}
		r.say("%s replaces %s:", k, other)
		if err := sched.Uninstall(ctx, se, other, r.out, r.errOut); err != nil {
			return err
		}
	}
	return r.recordNoScheduler(k == sched.None)
}

// SchedulerNoneName is the marker file, in the data directory, that
// records the user's choice of no scheduler (--scheduler none or
// --no-timer): status and doctor then report the missing scheduler as a
// warning naming the risk, both the same way, instead of as a failure.
// setup removes it when it installs a scheduler; uninstall removes it.
const SchedulerNoneName = "scheduler-none"

// ChoseNoScheduler reports whether setup recorded --scheduler none for
// the data directory dataDir.
func ChoseNoScheduler(dataDir string) bool {
	_, err := os.Lstat(filepath.Join(dataDir, SchedulerNoneName))
	return err == nil
}

// recordNoScheduler writes (chosen) or removes the SchedulerNoneName
// marker.
func (r *run) recordNoScheduler(chosen bool) error {
	if r.env.Paths.Data == "" {
		return nil
	}
	p := filepath.Join(r.env.Paths.Data, SchedulerNoneName)
	if !chosen {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return r.fail("remove %q: %w", p, err)
		}
		return nil
	}
	if err := os.MkdirAll(r.env.Paths.Data, 0o700); err != nil {
		return r.fail("record --scheduler none: %w", err)
	}
	if err := disk.WriteFileAtomic(p, []byte("--scheduler none: no scheduler runs "+RenewName+", by choice\n")); err != nil {
		return r.fail("record --scheduler none: %w", err)
	}
	return nil
}

func (r *run) removeScheduler(ctx context.Context) error {
	if err := r.recordNoScheduler(false); err != nil {
		return err
	}
	if r.opt.noTimer || r.opt.scheduler == sched.None {
		r.say("left the scheduler alone (--no-timer)")
		return nil
	}
	se := r.schedEnv()
	if r.opt.scheduler != "" {
		return sched.Uninstall(ctx, se, r.opt.scheduler, r.out, r.errOut)
	}
	// Without --scheduler: whatever is installed. systemd always says
	// what it found, as before; the others only when they are there.
	for _, k := range sched.Installable {
		if k != sched.Systemd && !sched.StateOf(ctx, se, k).Installed {
			continue
		}
		if err := sched.Uninstall(ctx, se, k, r.out, r.errOut); err != nil {
			return err
		}
	}
	return nil
}
