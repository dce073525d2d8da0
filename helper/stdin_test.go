package helper

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// TestStoreReadsStdinWithinTheBound: store's read of stdin is inside the
// operation's bound (here an injected one): a stdin that is never closed
// ends the read with an error saying what to do, instead of waiting
// forever (issue 20, item 8); a closed one gives its token.
func TestStoreReadsStdinWithinTheBound(t *testing.T) {
	t.Parallel()
	const bound = 50 * time.Millisecond
	tests := []struct {
		name    string
		write   string
		close   bool
		want    string
		wantErr string // "" means no error
	}{
		{"closed after the token", "hvs.token\n", true, "hvs.token", ""},
		{"held open after the token", "hvs.token\n", false, "", "stdin was not closed within 50ms"},
		{"held open, nothing written", "", false, "", "stdin was not closed within 50ms"},
		{"closed empty", "", true, "", "it is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close(); w.Close() })
			if _, err := io.WriteString(w, tt.write); err != nil {
				t.Fatal(err)
			}
			if tt.close {
				w.Close()
			}
			ctx, cancel := context.WithTimeout(context.Background(), bound)
			defer cancel()
			type result struct {
				tok string
				err error
			}
			done := make(chan result, 1)
			go func() {
				tok, err := readTokenWithin(ctx, r, bound)
				done <- result{tok, err}
			}()
			var got result
			select {
			case got = <-done:
			case <-time.After(time.Minute):
				t.Fatal("readTokenWithin did not end after its bound")
			}
			if got.tok != tt.want {
				t.Errorf("got token %q, want %q", got.tok, tt.want)
			}
			switch {
			case tt.wantErr == "" && got.err != nil:
				t.Errorf("got error %v, want none", got.err)
			case tt.wantErr != "" && (!errors.Is(got.err, ErrBadToken) || !strings.Contains(got.err.Error(), tt.wantErr)):
				t.Errorf("got error %v, want ErrBadToken saying %q", got.err, tt.wantErr)
			}
			if got.err != nil && strings.Contains(got.err.Error(), "hvs.token") {
				t.Errorf("error %q holds the token", got.err)
			}
		})
	}
}
