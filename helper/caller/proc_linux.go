package caller

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
)

// sysProcs reads /proc.
type sysProcs struct{}

func (sysProcs) args(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil, err
	}
	return splitNUL(b), nil
}

func (sysProcs) exe(pid int) (string, error) {
	return os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
}

func (sysProcs) parent(pid int) (int, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatPPID(b)
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
