package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// OpenFlags are part of every open of a file the tool writes or that
// holds a secret: never follow a reparse point (a symlink or junction) at
// the last component (FILE_FLAG_OPEN_REPARSE_POINT, which syscall.Open
// passes on to CreateFile from the flag's high bits: the link itself is
// opened, and its Stat is not a regular file, so it is refused), never
// leak the handle into a child process. Windows has no FIFO to block on.
const OpenFlags = syscall.O_CLOEXEC | windows.FILE_FLAG_OPEN_REPARSE_POINT

// readFlags are OpenRegular's: never leak the handle; links are followed.
const readFlags = syscall.O_CLOEXEC

// checkPrivate is the Windows form of "owned by us, mode 0600": Windows
// has no mode bits (fs.FileMode shows only the read-only attribute), so
// it reads the file's security descriptor. The owner must be the user
// this process runs as (or a group of its token: an elevated
// administrator's files are owned by BUILTIN\Administrators), and the
// DACL may allow access to nobody but the owner, the user, SYSTEM and the
// Administrators group, which is what a file under %LOCALAPPDATA%
// inherits. uid is unused: Windows has none (os.Geteuid is -1).
func checkPrivate(p string, fi fs.FileInfo, uid int, dir bool) error {
	sd, err := windows.GetNamedSecurityInfo(p, windows.SE_FILE_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("read the owner of %q: %w", p, err)
	}
	user, err := currentUserSID()
	if err != nil {
		return fmt.Errorf("read the owner of %q: %w", p, err)
	}
	owner, _, err := sd.Owner()
	if err != nil || owner == nil {
		return &UnsafeError{Path: p, Problem: "it has no owner", Fix: fmt.Sprintf("takeown /f %q, or remove it", p)}
	}
	if !owner.Equals(user) {
		member, err := windows.GetCurrentProcessToken().IsMember(owner)
		if err != nil || !member {
			return &UnsafeError{Path: p, Problem: fmt.Sprintf("it is owned by %s, not by you (%s)", owner, user),
				Fix: fmt.Sprintf("takeown /f %q, or remove it", p)}
		}
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		// A NULL DACL grants everyone everything.
		return &UnsafeError{Path: p, Problem: "it has no access list, so everyone may use it", Fix: icaclsFix(p)}
	}
	for i := range uint32(dacl.AceCount) {
		var ace *windows.ACCESS_ALLOWED_ACE
		if err := windows.GetAce(dacl, i, &ace); err != nil {
			return fmt.Errorf("read the access list of %q: %w", p, err)
		}
		if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || ace.Mask == 0 {
			continue // deny entries only take away
		}
		sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
		if sid.Equals(owner) || sid.Equals(user) || trusted(sid) {
			continue
		}
		return &UnsafeError{Path: p, Problem: fmt.Sprintf("its access list lets %s use it", sid), Fix: icaclsFix(p)}
	}
	return nil
}

func icaclsFix(p string) string {
	return fmt.Sprintf("icacls %q /inheritance:r /grant:r \"%%USERNAME%%:F\"", p)
}

// trusted are the accounts that can read any file anyway: SYSTEM, the
// Administrators group, and CREATOR OWNER (an inheritable entry that
// stands for the owner).
func trusted(sid *windows.SID) bool {
	for _, t := range []windows.WELL_KNOWN_SID_TYPE{windows.WinLocalSystemSid, windows.WinBuiltinAdministratorsSid, windows.WinCreatorOwnerSid} {
		if sid.IsWellKnown(t) {
			return true
		}
	}
	return false
}

func currentUserSID() (*windows.SID, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, err
	}
	return tu.User.Sid, nil
}

// replaceFile is os.Rename, which on Windows is MoveFileEx with
// MOVEFILE_REPLACE_EXISTING: it replaces newpath in one step. It fails
// while another process has newpath open without FILE_SHARE_DELETE (Go
// opens files without it): a reader of the state holds it for a moment,
// so the rename is tried again for up to two seconds, as cmd/go's
// robustio does.
func replaceFile(oldpath, newpath string) error {
	deadline := time.Now().Add(2 * time.Second)
	for delay := time.Millisecond; ; delay *= 2 {
		err := os.Rename(oldpath, newpath)
		if err == nil || !retryable(err) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(min(delay, 100*time.Millisecond))
	}
}

func retryable(err error) bool {
	return errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION) ||
		errors.Is(err, windows.ERROR_LOCK_VIOLATION)
}

// syncDir is a no-op: Windows cannot flush a directory handle (it
// refuses FlushFileBuffers on one), and NTFS journals the rename itself.
func syncDir(string) error { return nil }

// openFile opens p with OpenFlags. A file it creates gets the access list
// of mode 0600: only the user, not inherited (privateDACL); the file is
// created with O_EXCL first, so the list is set only on a file this call
// created.
func openFile(p string, flag int) (*os.File, error) {
	if flag&os.O_CREATE == 0 {
		return os.OpenFile(p, flag|OpenFlags, 0o600)
	}
	if flag&os.O_EXCL == 0 {
		f, err := os.OpenFile(p, flag&^(os.O_CREATE|os.O_TRUNC)|OpenFlags, 0o600)
		if !errors.Is(err, fs.ErrNotExist) {
			if err == nil && flag&os.O_TRUNC != 0 {
				err = f.Truncate(0)
			}
			return f, err
		}
	}
	f, err := os.OpenFile(p, flag|os.O_EXCL|OpenFlags, 0o600)
	if errors.Is(err, fs.ErrExist) && flag&os.O_EXCL == 0 {
		return os.OpenFile(p, flag&^os.O_CREATE|OpenFlags, 0o600) // created by another process meanwhile
	}
	if err != nil {
		return nil, err
	}
	if err := setPrivate(p, false); err != nil {
		f.Close()
		return nil, fmt.Errorf("make %q private: %w", p, err)
	}
	return f, nil
}

// mkdirPrivate creates p and its missing parents; each directory it
// creates gets the access list of mode 0700 (privateDACL), inherited by
// what is created in it. Existing parents are left as they are.
func mkdirPrivate(p string) error {
	var missing []string
	for d := p; ; {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		missing = append(missing, d)
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	if err := os.MkdirAll(p, 0o700); err != nil {
		return err
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := setPrivate(missing[i], true); err != nil {
			return fmt.Errorf("make %q private: %w", missing[i], err)
		}
	}
	return nil
}

// setPrivate replaces the access list of p by one that lets only the
// current user in (full control), protected from inheriting the parent's
// entries: Windows' form of chmod 600 (700 for a directory, whose entry is
// inherited by files and directories created in it).
func setPrivate(p string, dir bool) error {
	user, err := currentUserSID()
	if err != nil {
		return err
	}
	inherit := uint32(windows.NO_INHERITANCE)
	if dir {
		inherit = windows.SUB_CONTAINERS_AND_OBJECTS_INHERIT
	}
	acl, err := windows.ACLFromEntries([]windows.EXPLICIT_ACCESS{{
		AccessPermissions: windows.GENERIC_ALL,
		AccessMode:        windows.GRANT_ACCESS,
		Inheritance:       inherit,
		Trustee: windows.TRUSTEE{
			TrusteeForm:  windows.TRUSTEE_IS_SID,
			TrusteeType:  windows.TRUSTEE_IS_USER,
			TrusteeValue: windows.TrusteeValueFromSID(user),
		},
	}}, nil)
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(p, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, acl, nil)
}
