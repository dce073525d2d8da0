package cluster

import (
	"testing"
	"time"
)

// The harness itself: killing the active node elects another one, and a
// restarted node comes back unsealed as a standby that knows the leader.
func TestHarnessFailover(t *testing.T) {
	c := theCluster(t)
	old := c.Active(t)
	start := time.Now()
	c.Kill(t, old)
	now := c.Active(t)
	t.Logf("a new active node after %s", time.Since(start).Round(10*time.Millisecond))
	if now == old {
		t.Fatalf("the killed node %s is still the active one", old.ID)
	}
	if old.Running() {
		t.Fatalf("the killed node %s is still running", old.ID)
	}
	c.Restart(t, old)
	if !old.Running() {
		t.Fatalf("the restarted node %s is not running", old.ID)
	}
	if got := c.Active(t); got == old {
		t.Errorf("the restarted node %s took over at once; want it to come back as a standby", old.ID)
	}
	if _, err := c.NodeServer(old).LookupToken(t, c.RootToken); err != nil {
		t.Errorf("the restarted node %s does not answer requests: %v", old.ID, err)
	}
}
