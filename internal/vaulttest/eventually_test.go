package vaulttest

import (
	"testing"
	"time"
)

func TestPoll(t *testing.T) {
	tests := []struct {
		name      string
		holdsFrom int // cond holds from this call on; -1 never
		want      bool
		wantCalls int
	}{
		{"holds at once", 0, true, 1},
		{"holds on the fourth call", 3, true, 4},
		{"never holds", -1, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(0, 0)
			var slept []time.Duration
			calls := 0
			cond := func() bool {
				calls++
				return tt.holdsFrom >= 0 && calls > tt.holdsFrom
			}
			sleep := func(d time.Duration) { slept = append(slept, d); now = now.Add(d) }
			got := poll(time.Minute, sleep, func() time.Time { return now }, cond)
			if got != tt.want {
				t.Fatalf("poll = %v, want %v", got, tt.want)
			}
			if tt.wantCalls > 0 && calls != tt.wantCalls {
				t.Errorf("cond called %d times, want %d", calls, tt.wantCalls)
			}
			if !tt.want && now.Before(time.Unix(60, 0)) {
				t.Errorf("gave up at %s, want after the limit (1m)", now.Sub(time.Unix(0, 0)))
			}
			for i, d := range slept {
				if d > 250*time.Millisecond*2 {
					t.Fatalf("sleep %d was %s, want at most 500ms (backoff capped)", i, d)
				}
			}
			if len(slept) > 1 && slept[1] <= slept[0] {
				t.Errorf("sleeps %v do not back off", slept[:2])
			}
		})
	}
}
