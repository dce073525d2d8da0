package front

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startDetached: the renew runs in its own session, with /dev/null as
// stdin, stdout and stderr, and without a descriptor the front
// inherited (here a pipe left open without close-on-exec, as a careless
// caller might leave one). The stand-in renew execs sleep, whose
// /proc entry the test reads.
func TestStartDetached(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "renew")
	// It ends by itself: the test never signals a process.
	if err := os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1 $2\" = '--address http://127.0.0.1:8200' ] && exec sleep 3\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	var p [2]int
	if err := syscall.Pipe(p[:]); err != nil { // no O_CLOEXEC
		t.Fatal(err)
	}
	defer syscall.Close(p[0])
	defer syscall.Close(p[1])

	pid, err := startDetached(script, "http://127.0.0.1:8200")
	if err != nil {
		t.Fatal(err)
	}
	if pid <= 0 {
		t.Fatalf("startDetached returned pid %d, want the child's", pid)
	}
	proc := "/proc/" + strconv.Itoa(pid)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if exe, _ := os.Readlink(proc + "/exe"); strings.HasSuffix(exe, "/sleep") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the detached process did not exec sleep (wrong arguments?)")
		}
	}
	stat, err := os.ReadFile(proc + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ppid pgrp session ...
	fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if sid := fields[3]; sid != strconv.Itoa(pid) {
		t.Errorf("session %s, pid %d: want its own session", sid, pid)
	}
	// sleep itself opens and closes files as it starts (setlocale reads
	// /etc/locale.alias): an fd above 2 that stays is inherited, one that
	// goes was sleep's own. Poll until none is left, or give up.
	var ents []os.DirEntry
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if ents, err = os.ReadDir(proc + "/fd"); err != nil {
			t.Fatal(err)
		}
		if len(ents) <= 3 || time.Now().After(deadline) {
			break
		}
	}
	for _, e := range ents {
		fd, _ := strconv.Atoi(e.Name())
		target, _ := os.Readlink(proc + "/fd/" + e.Name())
		switch {
		case fd > 2:
			t.Errorf("fd %d (%s) was inherited", fd, target)
		case target != os.DevNull:
			t.Errorf("fd %d is %s, want %s", fd, target, os.DevNull)
		}
	}
}
