package setup

// The CLI config files setup edits (~/.vault, ~/.bao) and what it created.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// clis are the CLI config files to edit, one entry per file.
func (r *run) clis() []CLI {
	look := r.env.LookupEnv
	home, cwd := r.env.Paths.Home, r.env.Cwd
	vault := CLI{Name: "vault", Path: VaultConfigPath(look, home, cwd)}
	bao := CLI{Name: "bao", Path: BaoConfigPath(look, home, cwd)}
	var want []CLI
	switch r.opt.cli {
	case "vault":
		want = []CLI{vault}
	case "bao":
		want = []CLI{bao}
	case "both":
		want = []CLI{vault, bao}
	default:
		want = []CLI{vault}
		if _, err := r.env.LookPath("bao"); err == nil {
			want = append(want, bao)
		} else if r.opt.uninstall {
			// Removing our item is always right: clean ~/.bao when it exists.
			if _, err := os.Lstat(bao.Path); err == nil {
				want = append(want, bao)
			}
		}
	}
	if len(want) == 2 && want[0].Path == want[1].Path {
		want = []CLI{{Name: "vault and bao", Path: vault.Path}}
	}
	return want
}

// login is the command setup's messages tell the user to run: `bao
// login` when only bao is configured (--cli bao), else `vault login`.
func (r *run) login() string {
	if r.opt.cli == "bao" {
		return "bao login"
	}
	return "vault login"
}

// names reports whether a token_helper value names our binary.
func (r *run) names(v string) bool {
	if v == "" {
		return false
	}
	if !filepath.IsAbs(v) {
		v = filepath.Join(r.env.Cwd, v)
	}
	if filepath.Clean(v) == filepath.Clean(r.bin) {
		return true
	}
	a, errA := os.Stat(v)
	b, errB := os.Stat(r.bin)
	return errA == nil && errB == nil && os.SameFile(a, b)
}

func (r *run) setTokenHelper(context.Context) error {
	for _, c := range r.clis() {
		var seen *[]byte
		if b, ok := r.seen[c.Path]; ok {
			seen = &b // what checkCLIs judged: another helper set meanwhile is refused
		}
		res, err := apply(c.Path, r.bin, true, r.names, r.now(), seen, false)
		if err != nil {
			return r.fail("%s CLI config: %w", c.Name, err)
		}
		switch {
		case res.Created:
			r.say("created %s with token_helper = %q", c.Path, r.bin)
			if err := r.recordCreated(c.Path, true); err != nil {
				r.say("warning: %v; --uninstall will leave %s as an empty file instead of removing it", err, c.Path)
			}
		case res.Changed:
			r.say("set token_helper = %q in %s (backup: %s)", r.bin, c.Path, res.Backup)
		default:
			r.say("%s has token_helper = %q already", c.Path, r.bin)
		}
	}
	return nil
}

func (r *run) unsetTokenHelper(context.Context) error {
	created, err := r.created()
	if err != nil {
		r.say("warning: %v; a CLI config file setup created is left empty instead of removed", err)
	}
	for _, c := range r.clis() {
		res, err := apply(c.Path, r.bin, false, r.names, r.now(), nil, slices.Contains(created, c.Path))
		if err != nil {
			return r.fail("%s CLI config: %w; nothing more was uninstalled", c.Name, err)
		}
		if res.Changed && slices.Contains(created, c.Path) {
			// The file is the user's from now on, or gone.
			if err := r.recordCreated(c.Path, false); err != nil {
				r.say("warning: %v", err)
			}
		}
		switch {
		case res.Removed:
			r.say("removed %s, which setup had created and which held nothing else", c.Path)
		case res.Changed && res.Backup == "":
			r.say("removed token_helper from %s", c.Path)
		case res.Changed:
			r.say("removed token_helper from %s (backup: %s)", c.Path, res.Backup)
		case res.Other != "":
			r.say("left %s alone: its token_helper is %q, not %q", c.Path, res.Other, r.bin)
		default:
			if _, err := os.Lstat(c.Path); errors.Is(err, fs.ErrNotExist) {
				r.say("no %s; nothing to change", c.Path)
			} else {
				r.say("%s has no token_helper line", c.Path)
			}
		}
	}
	return nil
}

// createdName is the file, in the data directory, that lists the CLI
// config files setup created (JSON, a list of absolute paths): uninstall
// removes such a file when nothing but the token_helper item is left in
// it, so that what setup created, uninstall takes away, and a file that
// was already there (even empty) is left as it was.
const createdName = "setup-created.json"

func (r *run) createdPath() string { return filepath.Join(r.env.Paths.Data, createdName) }

// created is the list of createdName; none when there is no such file.
func (r *run) created() ([]string, error) {
	if r.env.Paths.Data == "" {
		return nil, nil
	}
	b, err := disk.ReadPrivateFile(r.createdPath(), os.Geteuid(), 1<<16)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the list of files setup created: %w", err)
	}
	var paths []string
	if err := json.Unmarshal(b, &paths); err != nil {
		return nil, fmt.Errorf("read the list of files setup created %q: %w", r.createdPath(), err)
	}
	return paths, nil
}

// recordCreated adds path to createdName (add), or takes it out.
func (r *run) recordCreated(path string, add bool) error {
	if r.env.Paths.Data == "" {
		return nil
	}
	paths, err := r.created()
	if err != nil {
		return err
	}
	paths = slices.DeleteFunc(paths, func(p string) bool { return p == path })
	if add {
		paths = append(paths, path)
	}
	if len(paths) == 0 {
		if err := os.Remove(r.createdPath()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("update the list of files setup created: %w", err)
		}
		return nil
	}
	b, err := json.Marshal(paths)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(r.env.Paths.Data, 0o700); err != nil {
		return fmt.Errorf("record that setup created %q: %w", path, err)
	}
	if err := disk.WriteFileAtomic(r.createdPath(), append(b, '\n')); err != nil {
		return fmt.Errorf("record that setup created %q: %w", path, err)
	}
	return nil
}

// checkCLIs reads the CLI config files before anything changes. It
// refuses a token_helper naming another program unless --force, and
// records which files name our helper (then ~/.vault-token is its mirror,
// see keepToken). Every CLI config counts, not only the ones this run
// configures: one that names the helper makes ~/.vault-token the mirror.
func (r *run) checkCLIs(context.Context) error {
	configure := r.clis()
	look := r.env.LookupEnv
	home, cwd := r.env.Paths.Home, r.env.Cwd
	all := append([]CLI(nil), configure...)
	for _, p := range []string{VaultConfigPath(look, home, cwd), BaoConfigPath(look, home, cwd)} {
		if !slices.ContainsFunc(all, func(c CLI) bool { return c.Path == p }) {
			all = append(all, CLI{Path: p})
		}
	}
	for _, c := range all {
		mine := c.Name != ""
		var src []byte
		var err error
		if mine {
			var exists bool
			src, _, exists, err = readCLIConfig(c.Path)
			if err != nil {
				return r.fail("%s CLI config: %w", c.Name, err)
			}
			if r.seen == nil {
				r.seen = map[string][]byte{}
			}
			r.seen[c.Path] = nil
			if exists {
				r.seen[c.Path] = append([]byte{}, src...)
			}
		} else {
			// Not edited by this run: what the CLI loads, through a symlink.
			if src, err = readFollowing(c.Path); err != nil {
				continue
			}
		}
		v := strings.TrimSpace(TokenHelperValue(src))
		switch {
		case v == "":
		case r.ours(v):
			r.oursIn = append(r.oursIn, c.Path)
		case !mine:
		case !r.opt.force:
			return r.fail("%s names another token helper, %q; setup would replace it and the CLI would stop using the tokens it holds: run setup --force to replace it anyway (the file is backed up to %s.bak-TIME, and --uninstall does not restore it)", c.Path, v, c.Path)
		default:
			r.foreignIn = append(r.foreignIn, c.Path)
			r.hints = append(r.hints, fmt.Sprintf("note: --force replaced the token helper %q in %s; --uninstall does not restore it: its line is in the backup %s.bak-TIME", v, c.Path, c.Path))
		}
	}
	return nil
}

// readFollowing reads a CLI config file as the CLI does, through a
// symlink, without blocking on a FIFO.
func readFollowing(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return nil, errors.Join(err, fmt.Errorf("%q is not a regular file", path))
	}
	return io.ReadAll(io.LimitReader(f, maxCLIConfigSize))
}

// ours reports whether a token_helper value names our helper: this
// binary, or vault-token-helper installed under another prefix (an
// earlier setup, which this run replaces), as status judges it.
func (r *run) ours(v string) bool {
	base := filepath.Base(v)
	return r.names(v) || base == HelperName || base == FullName
}
