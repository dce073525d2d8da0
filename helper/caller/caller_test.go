package caller

import (
	"encoding/binary"
	"errors"
	"os"
	"slices"
	"testing"
)

// fakeProcs is a process table.
type fakeProcs map[int]fakeProc

type fakeProc struct {
	argv   []string
	exe    string // "" is unreadable
	parent int
}

var errNoProc = errors.New("no such process")

func (f fakeProcs) args(pid int) ([]string, error) {
	p, ok := f[pid]
	if !ok || p.argv == nil {
		return nil, errNoProc
	}
	return p.argv, nil
}

func (f fakeProcs) exe(pid int) (string, error) {
	p, ok := f[pid]
	if !ok || p.exe == "" {
		return "", errNoProc
	}
	return p.exe, nil
}

func (f fakeProcs) parent(pid int) (int, error) {
	p, ok := f[pid]
	if !ok {
		return 0, errNoProc
	}
	return p.parent, nil
}

func TestIdentify(t *testing.T) {
	t.Parallel()
	const helper = "/home/u/.local/bin/vault-token-helper"
	vault := fakeProc{argv: []string{"vault", "token", "lookup", "-address=x"}, exe: "/usr/bin/vault", parent: 10}
	tests := []struct {
		name  string
		procs fakeProcs
		ppid  int
		want  Caller
	}{
		{"vault", fakeProcs{20: vault}, 20, Caller{CLI: Vault, PID: 20, Args: []string{"token", "lookup", "-address=x"}}},
		{"bao", fakeProcs{20: {argv: []string{"bao", "login"}, exe: "/usr/bin/bao", parent: 10}}, 20, Caller{CLI: Bao, PID: 20, Args: []string{"login"}}},
		{"vault through a link named bao", fakeProcs{20: {argv: []string{"bao", "login"}, exe: "/opt/vault-1.21.0", parent: 10}}, 20, Caller{CLI: Vault, PID: 20, Args: []string{"login"}}},
		{"a renamed binary run as vault", fakeProcs{20: {argv: []string{"vault", "login"}, exe: "/opt/hc/vault-enterprise", parent: 10}}, 20, Caller{}},
		{"bao through a shell that exec'd the helper", fakeProcs{20: {argv: []string{"bao", "login"}, exe: "/usr/bin/bao", parent: 10}}, 20, Caller{CLI: Bao, PID: 20, Args: []string{"login"}}},
		{"an interactive shell", fakeProcs{20: {argv: []string{"-bash"}, exe: "/usr/bin/bash", parent: 10}}, 20, Caller{}},
		{"a shell -c whose parent is not the CLI", fakeProcs{
			30: {argv: []string{"sh", "-c", helper + " get"}, exe: "/usr/bin/dash", parent: 20},
			20: {argv: []string{"python3"}, exe: "/usr/bin/python3.11", parent: 10},
		}, 30, Caller{}},
		{"exe unreadable, argv[0] says vault", fakeProcs{20: {argv: []string{"/usr/bin/vault", "status"}, parent: 10}}, 20, Caller{CLI: Vault, PID: 20, Args: []string{"status"}}},
		{"bao through a shell that did not exec", fakeProcs{
			30: {argv: []string{"/bin/bash", "-c", helper + " get"}, exe: "/usr/bin/bash", parent: 20},
			20: {argv: []string{"bao", "token", "lookup"}, exe: "/usr/local/bin/bao", parent: 10},
		}, 30, Caller{CLI: Bao, PID: 20, Args: []string{"token", "lookup"}}},
		{"bao through a shell, a path with a space", fakeProcs{
			30: {argv: []string{"sh", "-c", "/home/my user/bin/vault-token-helper get"}, exe: "/usr/bin/dash", parent: 20},
			20: {argv: []string{"bao", "status"}, exe: "/usr/local/bin/bao", parent: 10},
		}, 30, Caller{CLI: Bao, PID: 20, Args: []string{"status"}}},
		{"a shell running a relative path", fakeProcs{
			30: {argv: []string{"sh", "-c", "bin/vault-token-helper get"}, exe: "/usr/bin/dash", parent: 20},
			20: {argv: []string{"bao", "status"}, exe: "/usr/local/bin/bao", parent: 10},
		}, 30, Caller{}},
		{"a shell running something else", fakeProcs{
			30: {argv: []string{"/bin/sh", "-c", helper + " store"}, exe: "/usr/bin/dash", parent: 20},
			20: vault,
		}, 30, Caller{}},
		{"a script", fakeProcs{20: {argv: []string{"python3", "tool.py"}, exe: "/usr/bin/python3.11", parent: 10}}, 20, Caller{}},
		{"terraform", fakeProcs{20: {argv: []string{"terraform-provider-vault_v4"}, exe: "/x/terraform-provider-vault_v4", parent: 10}}, 20, Caller{}},
		{"our own renewer", fakeProcs{20: {argv: []string{"vault-token-renew"}, exe: "/x/vault-token-renew", parent: 10}}, 20, Caller{}},
		{"unreadable parent", fakeProcs{}, 20, Caller{}},
		{"parent in another PID namespace", fakeProcs{}, 0, Caller{}},
		{"adopted by init", fakeProcs{1: {argv: []string{"/sbin/init"}, exe: "/usr/lib/systemd/systemd"}}, 1, Caller{}},
		{"the CLI as PID 1 of a container", fakeProcs{1: {argv: []string{"vault", "status"}, exe: "/bin/vault"}}, 1, Caller{CLI: Vault, PID: 1, Args: []string{"status"}}},
		{"shell whose parent is unreadable", fakeProcs{30: {argv: []string{"sh", "-c", helper + " get"}, exe: "/bin/dash", parent: 20}}, 30, Caller{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := identify(tt.procs, tt.ppid, "get")
			if got.CLI != tt.want.CLI || got.PID != tt.want.PID || !slices.Equal(got.Args, tt.want.Args) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCLIName(t *testing.T) {
	t.Parallel()
	for path, want := range map[string]CLI{
		"/usr/bin/vault": Vault, "vault": Vault, "/c/vault-1.21.0": Vault, "vault_1.15": Vault,
		"vault-v1.21": Vault, "/usr/bin/vault (deleted)": Vault, "/usr/bin/bao": Bao, "bao-2.5.1": Bao,
		"vault-token-helper": Unknown, "vault-token-renew": Unknown, "vaultx": Unknown, "baobab": Unknown,
		"bash": Unknown, "vault-": Unknown, "vault-v": Unknown, "": Unknown,
	} {
		if got := cliName(path); got != want {
			t.Errorf("cliName(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestParseStatPPID(t *testing.T) {
	t.Parallel()
	got, err := parseStatPPID([]byte("1234 (a) b) c) S 777 1234 1234 0 -1 4194560"))
	if err != nil || got != 777 {
		t.Fatalf("got %d, %v; want 777", got, err)
	}
	if _, err := parseStatPPID([]byte("garbage")); err == nil {
		t.Fatal("got no error for a malformed stat")
	}
}

func TestParseProcargs2(t *testing.T) {
	t.Parallel()
	b := binary.LittleEndian.AppendUint32(nil, 3)
	b = append(b, "/usr/local/bin/vault\x00\x00\x00\x00vault\x00token\x00lookup\x00HOME=/x\x00"...)
	exe, args, err := parseProcargs2(b)
	if err != nil || exe != "/usr/local/bin/vault" || !slices.Equal(args, []string{"vault", "token", "lookup"}) {
		t.Fatalf("got %q, %q, %v", exe, args, err)
	}
	for _, bad := range [][]byte{nil, {1, 0, 0, 0}, append(binary.LittleEndian.AppendUint32(nil, 5), "/x\x00a\x00"...)} {
		if _, _, err := parseProcargs2(bad); err == nil {
			t.Errorf("parseProcargs2(%q): got no error", bad)
		}
	}
}

// The real reader on this system reads this very process.
func TestSysProcsSelf(t *testing.T) {
	t.Parallel()
	if _, err := (sysProcs{}).args(os.Getpid()); errors.Is(err, errUnsupportedOS) {
		t.Skip(err)
	}
	args, err := sysProcs{}.args(os.Getpid())
	if err != nil || !slices.Equal(args, os.Args) {
		t.Errorf("args: got %q, %v; want %q", args, err, os.Args)
	}
	exe, err := sysProcs{}.exe(os.Getpid())
	want, _ := os.Executable()
	if err != nil || exe != want {
		t.Errorf("exe: got %q, %v; want %q", exe, err, want)
	}
	ppid, err := sysProcs{}.parent(os.Getpid())
	if err != nil || ppid != os.Getppid() {
		t.Errorf("parent: got %d, %v; want %d", ppid, err, os.Getppid())
	}
}
