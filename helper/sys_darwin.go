package helper

import (
	"errors"
)

// runSystemctl: macOS has no systemd.
func runSystemctl(...string) (string, error) {
	return "", errors.New("systemctl is not available on macOS")
}
