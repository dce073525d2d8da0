//go:build crashpoints

package helper

import (
	"os"
	"syscall"
)

// CrashEnv names the mint step at which a crashpoints test build kills
// itself with SIGKILL, as a power cut would.
const CrashEnv = "VAULT_TOKEN_HELPER_CRASH_AT"

// crashHook kills the process at the step named by CrashEnv. Only
// binaries built with -tags crashpoints have it.
func crashHook(getenv func(string) string) func(string) {
	at := getenv(CrashEnv)
	if at == "" {
		return nil
	}
	return func(step string) {
		if step == at {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
}
