package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vault-token-helper/vault-token-helper/store/disk"
	"golang.org/x/sys/windows"
)

// TestCheckPrivateWindows: a file the store creates passes the owner and
// access-list check; one whose access list lets Everyone read it is
// refused with disk.ErrUnsafe naming the fix.
func TestCheckPrivateWindows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	f, err := disk.OpenPrivate(p, os.O_WRONLY|os.O_CREATE, -1)
	if err != nil {
		t.Fatalf("disk.OpenPrivate of a new file: got %v, want it open", err)
	}
	f.Close()
	if _, err := disk.ReadPrivateFile(p, -1, 10); err != nil {
		t.Fatalf("disk.ReadPrivateFile of our own file: got %v, want nil", err)
	}

	everyone, err := windows.CreateWellKnownSid(windows.WinWorldSid)
	must(t, err)
	acl, err := windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
		AccessPermissions: windows.GENERIC_READ,
		AccessMode:        windows.GRANT_ACCESS,
		Inheritance:       windows.NO_INHERITANCE,
		Trustee: windows.TRUSTEE{
			TrusteeForm:  windows.TRUSTEE_IS_SID,
			TrusteeType:  windows.TRUSTEE_IS_WELL_KNOWN_GROUP,
			TrusteeValue: windows.TrusteeValueFromSID(everyone),
		},
	}}, nil)
	must(t, err)
	if err := windows.SetNamedSecurityInfo(p, windows.SE_FILE_OBJECT, windows.DACL_SECURITY_INFORMATION, nil, nil, acl, nil); err != nil {
		t.Fatalf("grant Everyone read: %v", err)
	}
	_, err = disk.ReadPrivateFile(p, -1, 10)
	var ue *disk.UnsafeError
	if !errors.Is(err, disk.ErrUnsafe) || !errors.As(err, &ue) || ue.Fix == "" {
		t.Fatalf("disk.ReadPrivateFile of a file Everyone may read: got %v, want disk.ErrUnsafe with a fix", err)
	}
}

// TestReplaceFileWindows: the atomic write replaces an existing file (on
// Windows os.Rename is MoveFileEx with MOVEFILE_REPLACE_EXISTING).
func TestReplaceFileWindows(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "state.json")
	for _, want := range []string{"one", "two"} {
		if err := disk.WriteFileAtomic(p, []byte(want)); err != nil {
			t.Fatalf("disk.WriteFileAtomic(%q): %v", want, err)
		}
		got, err := disk.ReadPrivateFile(p, -1, 10)
		if err != nil || string(got) != want {
			t.Fatalf("after writing %q: got %q, %v", want, got, err)
		}
	}
}

// TestLockWindows: the lock (gofrs/flock, LockFileEx on Windows) keeps a
// second session out until the first closes.
func TestLockWindows(t *testing.T) {
	t.Parallel()
	f := New(filepath.Join(t.TempDir(), "vault-token-helper"))
	k := testKey(t)
	s, err := f.Lock(context.Background(), k, time.Second)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if _, err := f.Lock(context.Background(), k, 100*time.Millisecond); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Lock while held: got %v, want ErrLocked", err)
	}
	must(t, s.Close())
	s2, err := f.Lock(context.Background(), k, time.Second)
	if err != nil {
		t.Fatalf("Lock after Close: %v", err)
	}
	s2.Close()
}
