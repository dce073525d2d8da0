//go:build crashpoints

package helper

import (
	"os"
	"syscall"
)

// Test-only controls, compiled in only with -tags crashpoints.
const (
	// CrashEnv names the mint step at which the process kills itself
	// with SIGKILL, as a power cut would.
	CrashEnv = "VAULT_TOKEN_HELPER_CRASH_AT"
	// StopEnv names the mint step at which the process stops itself with
	// SIGSTOP, holding the address's lock, for a test to inspect it.
	StopEnv = "VAULT_TOKEN_HELPER_STOP_AT"
)

// crashHook acts at the steps named by CrashEnv and StopEnv. Only
// binaries built with -tags crashpoints have it.
func crashHook(getenv func(string) string) func(string) {
	crashAt, stopAt := getenv(CrashEnv), getenv(StopEnv)
	if crashAt == "" && stopAt == "" {
		return nil
	}
	return func(step string) {
		switch step {
		case crashAt:
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		case stopAt:
			_ = syscall.Kill(os.Getpid(), syscall.SIGSTOP)
		}
	}
}
