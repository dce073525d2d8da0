package helper

import (
	"errors"

	"github.com/vault-token-helper/vault-token-helper/helper/front"
)

// runSystemctl: macOS has no systemd.
func runSystemctl(...string) (string, error) {
	return "", errors.New("systemctl is not available on macOS")
}

// Harden denies debuggers, as the front does (front.Harden).
func Harden() { _ = front.Harden() }
