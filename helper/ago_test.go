package helper

import (
	"strings"
	"testing"
	"time"
)

func TestAgo(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		t    time.Time
		want string
	}{
		{"past", now.Add(-3 * 24 * time.Hour), "3 days ago"},
		{"just now", now, "less than a minute ago"},
		{"a step of NTP ahead", now.Add(30 * time.Second), "less than a minute ago"},
		{"clock moved back 2 hours", now.Add(2 * time.Hour), "in the future by 2 hours (clock moved back?)"},
		{"clock moved back 72 years", now.AddDate(72, 0, 0), "in the future by 26298 days (clock moved back?)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := ago(tt.t, now); got != tt.want {
				t.Errorf("ago: got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestStatusClockMovedBack: times recorded before the clock moved back
// read as in the future, never as "26326 days ago", and the blind stale
// check becomes a reason.
func TestStatusClockMovedBack(t *testing.T) {
	t.Parallel()
	env, _ := storedEnv(t)
	back := time.Now().AddDate(-72, 0, 0)
	env.Now = func() time.Time { return back }
	text := runHelper(env, "", "status").stdout
	if strings.Contains(text, " days ago") || !strings.Contains(text, "last renew:  never (stored in the future by ") || !strings.Contains(text, "(clock moved back?)") {
		t.Errorf("got\n%s\nwant the store time in the future, clock moved back, and nothing days ago", text)
	}
	rep, r := statusJSON(t, env)
	if rep.Healthy || r.code != ExitFail || !strings.Contains(strings.Join(rep.Reasons, "\n"), "check the system clock") {
		t.Errorf("got healthy %v exit %d reasons %q, want unhealthy: check the system clock", rep.Healthy, r.code, rep.Reasons)
	}
}
