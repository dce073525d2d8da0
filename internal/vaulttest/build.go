package vaulttest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Binaries are this project's commands, built for a test run.
type Binaries struct {
	Helper string // vault-token-helper (the front the CLI runs)
	Full   string // vault-token-helper-full, next to it
	Renew  string // vault-token-renew
}

// Build builds the three commands into dir with the given build tags,
// as `make build` does (CGO_ENABLED=0, -trimpath).
func Build(dir string, tags ...string) (Binaries, error) {
	root, err := ModuleRoot()
	if err != nil {
		return Binaries{}, err
	}
	b := Binaries{
		Helper: filepath.Join(dir, "vault-token-helper"),
		Full:   filepath.Join(dir, "vault-token-helper-full"),
		Renew:  filepath.Join(dir, "vault-token-renew"),
	}
	for out, pkg := range map[string]string{b.Helper: "./cmd/token-helper", b.Full: "./cmd/token-helper-full", b.Renew: "./cmd/renew"} {
		args := []string{"build", "-trimpath", "-o", out}
		if len(tags) > 0 {
			args = append(args, "-tags", strings.Join(tags, ","))
		}
		cmd := exec.Command("go", append(args, pkg)...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return Binaries{}, fmt.Errorf("go build %s: %v\n%s", pkg, err, stderr.String())
		}
	}
	return b, nil
}

// ModuleRoot is the directory of this project's go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil &&
			bytes.HasPrefix(b, []byte("module github.com/vault-token-helper/vault-token-helper\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod of vault-token-helper not found above the working directory")
		}
		dir = parent
	}
}
