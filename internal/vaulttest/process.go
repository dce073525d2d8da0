package vaulttest

import (
	"bytes"
	"os/exec"
	"strings"
)

// RunCmd runs a command prepared by the test (its own environment,
// SysProcAttr or parent process) in this home: the home's environment
// when cmd.Env is nil, the home directory when cmd.Dir is empty. It fails
// the test when the command cannot be started or runs past its deadline.
func (h *Home) RunCmd(t T, stdin string, cmd *exec.Cmd) Result {
	t.Helper()
	ctx, cancel := commandContext(t)
	defer cancel()
	c := exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	c.Env, c.Dir, c.SysProcAttr = cmd.Env, cmd.Dir, cmd.SysProcAttr
	if c.Env == nil {
		c.Env = h.Env()
	}
	if c.Dir == "" {
		c.Dir = h.Dir
	}
	c.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	res := Result{Stdout: stdout.String(), Stderr: stderr.String()}
	if ctx.Err() != nil {
		t.Fatalf("run %v: killed: %v\n%s", cmd.Args, ctx.Err(), res)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code, err = ee.ExitCode(), nil
	}
	if err != nil {
		t.Fatalf("run %v: %v\n%s", cmd.Args, err, res)
	}
	return res
}

// Server returns the server whose address is the home's VAULT_ADDR.
func (h *Home) Server() *Server { return h.server }
