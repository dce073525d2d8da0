package caller

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"
)

// The parsers of what Linux's /proc and macOS's sysctl return live here,
// without a build tag, so that their tests run everywhere.

func parseProcargs2(b []byte) (string, []string, error) {
	if len(b) < 4 {
		return "", nil, errors.New("short kern.procargs2")
	}
	argc := int(binary.LittleEndian.Uint32(b[:4]))
	b = b[4:]
	end := bytes.IndexByte(b, 0)
	if end < 0 {
		return "", nil, errors.New("malformed kern.procargs2")
	}
	exe := string(b[:end])
	b = b[end:]
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	args := make([]string, 0, argc)
	for len(args) < argc {
		end := bytes.IndexByte(b, 0)
		if end < 0 {
			return "", nil, errors.New("malformed kern.procargs2")
		}
		args = append(args, string(b[:end]))
		b = b[end+1:]
	}
	return exe, args, nil
}

// parseStatPPID reads the fourth field of /proc/PID/stat. The second,
// the command name in parentheses, may itself hold spaces and
// parentheses, so the fields are counted after the last ')'.
func parseStatPPID(b []byte) (int, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, errors.New("malformed stat")
	}
	return strconv.Atoi(f[1])
}

// splitNUL splits a NUL-terminated list of strings.
func splitNUL(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	b = bytes.TrimSuffix(b, []byte{0})
	return strings.Split(string(b), "\x00")
}
