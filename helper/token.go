package helper

import (
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrBadToken wraps every reason a token on stdin is refused.
var ErrBadToken = errors.New("bad token on stdin")

// MaxTokenSize is the most `store` reads from stdin. Vault tokens are
// about 100 bytes; batch tokens can be a few hundred.
const MaxTokenSize = 8 << 10

// ReadToken reads the token `store` gets on stdin: at most MaxTokenSize
// bytes, one trailing "\n" or "\r\n" trimmed, and then nothing but
// printable ASCII without spaces. The error never contains the input.
func ReadToken(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxTokenSize+1))
	if err != nil {
		return "", fmt.Errorf("%w: read: %v", ErrBadToken, err)
	}
	if len(b) > MaxTokenSize {
		return "", fmt.Errorf("%w: more than %d bytes; a Vault token is about 100", ErrBadToken, MaxTokenSize)
	}
	return ParseToken(b)
}

// ParseToken validates the bytes of a token as ReadToken does.
func ParseToken(b []byte) (string, error) {
	if len(b) > MaxTokenSize {
		return "", fmt.Errorf("%w: more than %d bytes; a Vault token is about 100", ErrBadToken, MaxTokenSize)
	}
	s := string(b)
	if strings.HasSuffix(s, "\r\n") {
		s = s[:len(s)-2]
	} else if strings.HasSuffix(s, "\n") {
		s = s[:len(s)-1]
	}
	if s == "" {
		return "", fmt.Errorf("%w: it is empty", ErrBadToken)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\n' || c == '\r':
			return "", fmt.Errorf("%w: more than one line (line break at byte %d)", ErrBadToken, i)
		case c == ' ' || c == '\t':
			return "", fmt.Errorf("%w: white space at byte %d", ErrBadToken, i)
		case c < 0x21 || c > 0x7e:
			return "", fmt.Errorf("%w: non-printable or non-ASCII byte 0x%02x at byte %d", ErrBadToken, c, i)
		}
	}
	return s, nil
}
