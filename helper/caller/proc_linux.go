package caller

import (
	"os"
	"strconv"
	"syscall"
)

// sysProcs reads /proc.
type sysProcs struct{}

func (sysProcs) args(pid int) ([]string, error) {
	b, err := readProc("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil, err
	}
	return splitNUL(b), nil
}

// readProc reads a small /proc file with open, read and close only
// (os.ReadFile also stats it, and reads once more to see the end).
func readProc(path string) ([]byte, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	buf := make([]byte, 4096)
	n := 0
	for {
		m, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "read", Path: path, Err: err}
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
		if n < len(buf) {
			// /proc answers a read in one go up to the page: a short
			// read is the whole file.
			return buf[:n], nil
		}
		buf = append(buf, make([]byte, len(buf))...)
	}
}

func (sysProcs) exe(pid int) (string, error) {
	return os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
}

func (sysProcs) parent(pid int) (int, error) {
	b, err := readProc("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatPPID(b)
}
