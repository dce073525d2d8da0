package vaulttest

import (
	"fmt"
	"os"
	"runtime"
	"sync"
)

// Background is a T for what outlives one test: a cluster that a whole
// test package shares, started once from TestMain or the first test that
// needs it. Its cleanups run at Close; a Fatal inside Do ends that call
// of Do (not the process) and Do returns the message as an error.
type Background struct {
	mu       sync.Mutex
	root     string
	cleanups []func()
	failed   bool
	fatal    string
}

var _ T = (*Background)(nil)

// NewBackground makes a Background whose temporary directories live
// under a fresh directory, removed at Close.
func NewBackground() (*Background, error) {
	root, err := os.MkdirTemp("", "vaulttest-bg-")
	if err != nil {
		return nil, err
	}
	return &Background{root: root}, nil
}

// Do runs f with b as its T in a goroutine of its own, so that a Fatal
// in f ends f alone, and returns what f failed with.
func (b *Background) Do(f func(T)) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(b)
	}()
	<-done
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fatal != "" {
		msg := b.fatal
		b.fatal = ""
		return fmt.Errorf("%s", msg)
	}
	return nil
}

// Close runs the cleanups, last registered first, and removes the
// temporary directories.
func (b *Background) Close() {
	b.mu.Lock()
	cs := b.cleanups
	b.cleanups = nil
	b.mu.Unlock()
	for i := len(cs) - 1; i >= 0; i-- {
		cs[i]()
	}
	_ = os.RemoveAll(b.root)
}

// Helper does nothing: there is no test log to attribute lines in.
func (b *Background) Helper() {}

// Cleanup registers f to run at Close.
func (b *Background) Cleanup(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.cleanups = append(b.cleanups, f)
}

// TempDir returns a new directory, removed at Close.
func (b *Background) TempDir() string {
	dir, err := os.MkdirTemp(b.root, "t")
	if err != nil {
		b.Fatal(err)
	}
	return dir
}

// Failed reports whether a Fatal happened.
func (b *Background) Failed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failed
}

// Fatal records the failure and ends the calling goroutine, which Do
// started.
func (b *Background) Fatal(args ...any) {
	b.mu.Lock()
	b.failed = true
	b.fatal = fmt.Sprint(args...)
	b.mu.Unlock()
	runtime.Goexit()
}

// Fatalf is Fatal with a format.
func (b *Background) Fatalf(format string, args ...any) { b.Fatal(fmt.Sprintf(format, args...)) }

// Logf writes to stderr.
func (b *Background) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
