package setup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/api/cliconfig"
	"github.com/hashicorp/vault/api/tokenhelper"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// CLI is one command line client whose config file names the token
// helper: the Vault CLI (~/.vault) or the OpenBao CLI (~/.bao).
type CLI struct {
	Name string // "vault" or "bao"
	Path string // its config file, absolute
}

// maxCLIConfigSize bounds what is read of a CLI config file.
const maxCLIConfigSize = 1 << 20

// VaultConfigPath is the Vault CLI's config file: VAULT_CONFIG_PATH, else
// ~/.vault (hashicorp/vault api/cliconfig).
func VaultConfigPath(lookup func(string) (string, bool), home, cwd string) string {
	p := "~/.vault"
	if v, _ := lookup("VAULT_CONFIG_PATH"); v != "" {
		p = v
	}
	return expand(p, home, cwd)
}

// BaoConfigPath is the OpenBao CLI's config file, as OpenBao 2.x's
// internal/command/config.LoadConfig finds it: BAO_CONFIG_PATH when it is
// set, else VAULT_CONFIG_PATH (api.ReadBaoVariable: a BAO_ variable that
// is set but empty wins, and an empty value means the default), else
// ~/.bao.
func BaoConfigPath(lookup func(string) (string, bool), home, cwd string) string {
	p := "~/.bao"
	v, ok := lookup("BAO_CONFIG_PATH")
	if !ok {
		v, _ = lookup("VAULT_CONFIG_PATH")
	}
	if v != "" {
		p = v
	}
	return expand(p, home, cwd)
}

// expand resolves ~/ (go-homedir, as both CLIs do) and makes the path
// absolute against cwd, which is where the CLI would open it.
func expand(p, home, cwd string) string {
	if p == "~" {
		p = home
	} else if rest, ok := strings.CutPrefix(p, "~/"); ok {
		p = filepath.Join(home, rest)
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(cwd, p)
	}
	return filepath.Clean(p)
}

// ErrUnsafeFile is returned for a CLI config file setup will not edit.
var ErrUnsafeFile = errors.New("unsafe file")

// ErrWouldNotLoad is returned when the edited file would not load in the
// CLI; the file is left as it was.
var ErrWouldNotLoad = errors.New("the CLI would not load the result")

// loaderError is the cause in a cliconfig error, without the file name
// (that of the temporary file), multierror's frame and the advice about
// Ansible Vault: `error parsing config file at "X": 1 error occurred:
// * invalid key "foo" on line 2; ensure that ...` → `invalid key "foo"
// on line 2`.
func loaderError(err error) string {
	s := err.Error()
	if _, rest, ok := strings.Cut(s, "error parsing config file at "); ok {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			s = strings.TrimPrefix(rest[len(q):], ": ")
		}
	}
	s, _, _ = strings.Cut(s, "; ensure that the file is valid")
	s = strings.TrimSpace(s)
	if _, rest, ok := strings.Cut(s, "error occurred:"); ok {
		s = rest
	} else if _, rest, ok := strings.Cut(s, "errors occurred:"); ok {
		s = rest
	}
	var parts []string
	for _, p := range strings.Split(s, "\n") {
		if p = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(p), "* ")); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ")
}

// readCLIConfig reads a CLI config file that setup may edit: a regular
// file owned by this user, not a symlink. It returns nil content and its
// mode 0600 for a missing file.
func readCLIConfig(path string) ([]byte, fs.FileMode, bool, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0o600, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		return nil, 0, true, fmt.Errorf("%w: %q is a symlink (to %q); setup does not edit through a symlink: set token_helper in the file it points to, or replace the link with a copy, and run setup again", ErrUnsafeFile, path, target)
	}
	if !fi.Mode().IsRegular() {
		return nil, 0, true, fmt.Errorf("%w: %q is not a regular file; move it away and run setup again", ErrUnsafeFile, path)
	}
	if uid, ok := fileUID(fi); ok && uid != os.Geteuid() {
		return nil, 0, true, fmt.Errorf("%w: %q belongs to uid %d, not to you (uid %d); fix its owner and run setup again", ErrUnsafeFile, path, uid, os.Geteuid())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|noFollow|nonBlock, 0)
	if err != nil {
		return nil, 0, true, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxCLIConfigSize+1))
	if err != nil {
		return nil, 0, true, fmt.Errorf("read %q: %w", path, err)
	}
	if len(b) > maxCLIConfigSize {
		return nil, 0, true, fmt.Errorf("%q is larger than %d bytes; it is not a CLI config file", path, maxCLIConfigSize)
	}
	return b, fi.Mode().Perm(), true, nil
}

// loadMu serializes loadTokenHelper: the CLI's loader reads
// VAULT_CONFIG_PATH from the process environment, and only from there.
var loadMu sync.Mutex

// loadTokenHelper loads path with the Vault CLI's own loader
// (api/cliconfig, the code `vault` runs before every command) and returns
// the external helper it names, "" for the built-in one. OpenBao's loader
// is the same code (internal/command/config, a fork of it).
func loadTokenHelper(path string) (string, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	old, had := os.LookupEnv("VAULT_CONFIG_PATH")
	if err := os.Setenv("VAULT_CONFIG_PATH", path); err != nil {
		return "", err
	}
	defer func() {
		if had {
			os.Setenv("VAULT_CONFIG_PATH", old)
		} else {
			os.Unsetenv("VAULT_CONFIG_PATH")
		}
	}()
	h, err := cliconfig.DefaultTokenHelper()
	if err != nil {
		return "", err
	}
	if ext, ok := h.(*tokenhelper.ExternalTokenHelper); ok {
		return ext.BinaryPath, nil
	}
	return "", nil
}

// EditResult says what an edit of a CLI config file did.
type EditResult struct {
	Changed bool
	Created bool
	Removed bool   // on unset: the file setup had created is gone
	Backup  string // the copy of the file before the change, "" when none
	Other   string // on unset: the token_helper left in place (not ours)
}

// Apply sets (set = true) or removes token_helper = bin in the CLI config
// at path: read and check the file, edit it, write the result next to it,
// load that with the CLI's own loader, back the old file up, and rename.
// On any error the file is as it was. names reports whether a
// token_helper value names our binary (for removal).
func Apply(path, bin string, set bool, names func(string) bool, now time.Time) (EditResult, error) {
	return apply(path, bin, set, names, now, nil, false)
}

// apply is Apply; seen, when not nil, is the content an earlier read
// found (nil: no file), which the file must still hold. created (on
// unset): setup created the file, so it is removed when nothing but the
// item was in it.
func apply(path, bin string, set bool, names func(string) bool, now time.Time, seen *[]byte, created bool) (EditResult, error) {
	var res EditResult
	src, mode, exists, err := readCLIConfig(path)
	if err != nil {
		return res, err
	}
	if seen != nil && ((*seen == nil) == exists || !bytes.Equal(*seen, src)) {
		return res, fmt.Errorf("%q not changed: it %w (an editor or another setup?); check it and run setup again", path, ErrChanged)
	}
	var out []byte
	var changed bool
	if set {
		out, changed, err = SetTokenHelper(src, bin)
	} else {
		if !exists {
			return res, nil
		}
		out, changed, err = UnsetTokenHelper(src, names)
		if err == nil && !changed {
			res.Other = TokenHelperValue(src)
		}
	}
	if err != nil {
		return res, fmt.Errorf("%q not changed: it does not parse (%v); fix it and run setup again", path, oneLine(err.Error()))
	}
	if !changed {
		return res, nil
	}
	if exists {
		if err := checkLinks(path); err != nil {
			return res, err
		}
	}
	if !set && created && len(out) == 0 {
		return removeCreated(path, src)
	}
	dir := filepath.Dir(path)
	if !exists {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return res, fmt.Errorf("create the directory of %q: %w", path, err)
		}
	}
	// The edit replaces the file only if the CLI loads it as intended,
	// after the backup, and only if nobody changed the file since it was
	// read: checked on the complete temporary file, just before the
	// rename (disk.WriteFile's last check).
	var checkErr error
	check := func(tmpName string) error {
		checkErr = checkEdit(path, tmpName, bin, set, exists, src, mode, now, names, &res)
		return checkErr
	}
	if err := disk.WriteFile(path, out, disk.WriteOptions{Mode: mode, ReplaceLink: true, BeforeReplace: check}); err != nil {
		if checkErr != nil {
			return res, checkErr
		}
		return res, fmt.Errorf("%q not changed: %w", path, err)
	}
	res.Changed, res.Created = true, !exists
	return res, nil
}

// checkEdit is the last check of an edit of the CLI config file path,
// whose new content is complete in tmpName: the CLI's own loader must
// load it and find bin (set) or none of ours (unset); then the old file
// is backed up (exists) and must be unchanged since it was read (src).
func checkEdit(path, tmpName, bin string, set, exists bool, src []byte, mode fs.FileMode, now time.Time, names func(string) bool, res *EditResult) error {
	got, err := loadTokenHelper(tmpName)
	switch {
	case err != nil:
		return fmt.Errorf("%q not changed: %s, so %w; fix the file and run setup again", path, loaderError(err), ErrWouldNotLoad)
	case set && got != bin:
		return fmt.Errorf("%q not changed: with the edit the CLI would run %q, not %q, so %w", path, got, bin, ErrWouldNotLoad)
	case !set && got != "" && names(got):
		return fmt.Errorf("%q not changed: the CLI would still run %q, so %w", path, got, ErrWouldNotLoad)
	}
	if exists {
		if res.Backup, err = backup(path, src, mode, now); err != nil {
			return fmt.Errorf("%q not changed: %w", path, err)
		}
	}
	if testHookBeforeRename != nil {
		testHookBeforeRename(path)
	}
	// An editor's save or another setup since the read would be lost:
	// compare, as close to the rename as can be.
	if err := unchanged(path, src, exists); err != nil {
		if res.Backup != "" {
			os.Remove(res.Backup)
			res.Backup = ""
		}
		return err
	}
	return nil
}

// removeCreated removes the CLI config file at path, which setup created
// and which holds nothing but the item setup wrote (src), unless it
// changed since it was read. Nothing of the user's is lost, so there is no
// backup.
func removeCreated(path string, src []byte) (EditResult, error) {
	if testHookBeforeRename != nil {
		testHookBeforeRename(path)
	}
	if err := unchanged(path, src, true); err != nil {
		return EditResult{}, err
	}
	if err := os.Remove(path); err != nil {
		return EditResult{}, fmt.Errorf("%q not removed: %w", path, err)
	}
	syncDir(filepath.Dir(path))
	return EditResult{Changed: true, Removed: true}, nil
}

// testHookBeforeRename runs in Apply between the read and the rename.
var testHookBeforeRename func(path string)

// ErrChanged is returned when the CLI config file changed while setup
// was editing it; the new content is left as it is.
var ErrChanged = errors.New("changed while setup was editing it")

// unchanged reports an error unless path still holds src (or is still
// missing when it was).
func unchanged(path string, src []byte, existed bool) error {
	cur, _, exists, err := readCLIConfig(path)
	switch {
	case err != nil:
		return fmt.Errorf("%q not changed: %w", path, err)
	case exists != existed || !bytes.Equal(cur, src):
		return fmt.Errorf("%q not changed: it %w (an editor or another setup?); check it and run setup again", path, ErrChanged)
	case !exists:
		return nil
	}
	return checkLinks(path)
}

// checkLinks refuses a file with more than one hard link: the rename
// would detach it from the others (a dotfiles repository's copy).
func checkLinks(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return fmt.Errorf("%q not changed: %w", path, err)
	}
	if n := linkCount(fi); n > 1 {
		return fmt.Errorf("%w: %q has %d hard links (a dotfiles repository's?); setup replaces the file, which would detach it from the other links: set token_helper in it by hand, or replace it with a copy, and run setup again", ErrUnsafeFile, path, n)
	}
	return nil
}

// backup writes src to path.bak-YYYYmmddHHMMSS (never over an existing
// file) with the file's mode.
func backup(path string, src []byte, mode fs.FileMode, now time.Time) (string, error) {
	name := path + ".bak-" + now.Format("20060102150405")
	for i := 0; ; i++ {
		p := name
		if i > 0 {
			p = fmt.Sprintf("%s-%d", name, i)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL|noFollow, mode)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("back up to %q: %w", p, err)
		}
		_, werr := f.Write(src)
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			os.Remove(p)
			return "", fmt.Errorf("back up to %q: %w", p, err)
		}
		return p, nil
	}
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// oneLine folds white space runs into one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// loaderLine matches where the CLI's loader places a problem: hcl's
// "At LINE:COL: ..." and cliconfig's "... on line LINE".
var loaderLine = regexp.MustCompile(`^At (\d+):\d+:|\bon line (\d+)\b`)

// ErrorLine is the line of the file that a message of TokenHelperIn
// names, 0 when it names none.
func ErrorLine(msg string) int {
	m := loaderLine.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1] + m[2])
	return n
}

// TokenHelperIn is the token_helper the CLI config at path names, read
// with the CLI's own loader: "" for the built-in helper or no file. An
// error says in one line what is wrong with the file.
func TokenHelperIn(path string) (string, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	h, err := loadTokenHelper(path)
	if err != nil {
		return "", errors.New(loaderError(err))
	}
	return h, nil
}
