package vaulttest

import "time"

// PollLimit is how long Eventually waits before it fails the test. It
// is a give-up time, not a measure: a busy CI machine may take a
// hundred times longer than a quiet one to get where the test waits,
// so the limit is long, and a condition that holds returns at once.
const PollLimit = 3 * time.Minute

// Eventually polls cond until it holds and fails the test, naming what
// it waited for, when it has not held within PollLimit. It polls often
// at first (every 10ms) and backs off to every 250ms, so a fast
// condition costs little and a slow one does not burn a core.
func Eventually(t T, what string, cond func() bool) {
	t.Helper()
	if !poll(PollLimit, time.Sleep, time.Now, cond) {
		t.Fatalf("%s: still not so after %s", what, PollLimit)
	}
}

// poll is Eventually's loop with its clock injected: it reports whether
// cond held before limit passed.
func poll(limit time.Duration, sleep func(time.Duration), now func() time.Time, cond func() bool) bool {
	deadline := now().Add(limit)
	wait := 10 * time.Millisecond
	for !cond() {
		if now().After(deadline) {
			return false
		}
		sleep(wait)
		if wait < 250*time.Millisecond {
			wait *= 2
		}
	}
	return true
}
