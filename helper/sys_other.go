//go:build !linux && !darwin

package helper

import (
	"errors"
	"runtime"
)

// runSystemctl: only Linux has systemd.
func runSystemctl(...string) (string, error) {
	return "", errors.New("systemctl is not available on " + runtime.GOOS)
}
