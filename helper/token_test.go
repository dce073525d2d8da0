package helper

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadToken(t *testing.T) {
	valid := "hvs.CAESIJ-abc_DEF.123"
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string // substring of the error; "" for success
	}{
		{"plain", valid, valid, ""},
		{"trailing LF", valid + "\n", valid, ""},
		{"trailing CRLF", valid + "\r\n", valid, ""},
		{"empty", "", "", "empty"},
		{"only a newline", "\n", "", "empty"},
		{"spaces", "   ", "", "white space"},
		{"leading space", " " + valid, "", "white space at byte 0"},
		{"tab inside", "hvs.a\tb", "", "white space"},
		{"two trailing newlines", valid + "\n\n", "", "more than one line"},
		{"second line", valid + "\nhvs.other", "", "more than one line"},
		{"NUL", "hvs.a\x00b", "", "non-printable"},
		{"invalid UTF-8", "hvs.\xff\xfe", "", "non-printable"},
		{"non-ASCII", "hvs.é", "", "non-printable"},
		{"DEL", "hvs.\x7f", "", "non-printable"},
		{"lone CR", "hvs.a\rb", "", "more than one line"},
		{"at the limit", strings.Repeat("a", MaxTokenSize), strings.Repeat("a", MaxTokenSize), ""},
		{"over the limit", strings.Repeat("a", MaxTokenSize+1), "", "more than"},
		{"1 MiB", strings.Repeat("a", 1<<20), "", "more than"},
		{"10 MiB", strings.Repeat("a", 10<<20), "", "more than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadToken(strings.NewReader(tt.in))
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("ReadToken = %.20q, %v; want %.20q", got, err, tt.want)
				}
				return
			}
			if !errors.Is(err, ErrBadToken) {
				t.Fatalf("ReadToken error = %v, want one wrapping ErrBadToken", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not say %q", err, tt.wantErr)
			}
			if got != "" {
				t.Errorf("got token %.20q alongside an error", got)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q is not one line", err)
			}
		})
	}
}

func TestReadTokenReadError(t *testing.T) {
	_, err := ReadToken(iotest.ErrReader(errors.New("boom")))
	if !errors.Is(err, ErrBadToken) {
		t.Fatalf("got %v, want ErrBadToken", err)
	}
}

func TestReadTokenDoesNotEchoSecret(t *testing.T) {
	secret := "hvs.SECRETSECRET"
	for _, in := range []string{secret + " x", secret + "\nmore", secret + "\x00"} {
		_, err := ReadToken(bytes.NewReader([]byte(in)))
		if err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("ReadToken(%q) error = %v; want an error without the token", in, err)
		}
	}
}

func FuzzParseToken(f *testing.F) {
	for _, s := range []string{"hvs.abc", "hvs.abc\n", "a\r\n", "", " ", "\x00", "a\nb", "\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := ParseToken(in)
		if err != nil {
			if !errors.Is(err, ErrBadToken) {
				t.Fatalf("error %v does not wrap ErrBadToken", err)
			}
			if got != "" {
				t.Fatalf("token %q returned with error", got)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error %q is not one line", err)
			}
			return
		}
		if got == "" || len(got) > MaxTokenSize {
			t.Fatalf("accepted token of length %d", len(got))
		}
		for i := 0; i < len(got); i++ {
			if got[i] < 0x21 || got[i] > 0x7e {
				t.Fatalf("accepted byte 0x%02x", got[i])
			}
		}
		if !bytes.HasPrefix(in, []byte(got)) || len(in)-len(got) > 2 {
			t.Fatalf("token %q is not the input %q with at most a line ending trimmed", got, in)
		}
	})
}
