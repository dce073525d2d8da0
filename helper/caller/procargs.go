package caller

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// parseProcargs2 reads macOS's kern.procargs2 (see proc_darwin.go). It
// lives here, without a build tag, so that its tests run everywhere.
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
