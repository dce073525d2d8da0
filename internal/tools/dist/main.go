// Command dist makes a release of vault-token-helper into a directory:
// for linux, darwin and windows on amd64 and arm64 an archive (tar.gz;
// zip for windows) with the three binaries, the man page, the bash, zsh
// and fish completions, README.md, LICENSE and docs/licenses.md; .deb and
// .rpm packages for linux (nfpm); checksums.txt (sha256sum format).
//
// Reproducible: every file time is -epoch (make dist: the commit's time),
// archives are written in sorted order with fixed owners and modes, the
// binaries are built with -trimpath, no VCS stamp and an empty build id,
// so two runs on one commit give the same checksums.
//
//	go run ./dist -root REPO -out DIR -version V -commit C -epoch SECONDS
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
	_ "github.com/goreleaser/nfpm/v2/rpm"
)

// The platforms of a release.
var targets = []struct{ os, arch string }{
	{"linux", "amd64"}, {"linux", "arm64"},
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// binaries maps each installed name to its package.
var binaries = []struct{ name, pkg string }{
	{"vault-token-helper", "./cmd/token-helper"},
	{"vault-token-helper-full", "./cmd/token-helper-full"},
	{"vault-token-renew", "./cmd/renew"},
}

const project = "vault-token-helper"

type release struct {
	root, out, version, commit string
	mtime                      time.Time
	work                       string
}

func main() {
	var r release
	var epoch int64
	flag.StringVar(&r.root, "root", "", "the repository")
	flag.StringVar(&r.out, "out", "dist", "the output directory (replaced)")
	flag.StringVar(&r.version, "version", "", "the release version (no leading v)")
	flag.StringVar(&r.commit, "commit", "", "the commit")
	flag.Int64Var(&epoch, "epoch", 0, "the time of every file (seconds since 1970): the commit's")
	flag.Parse()
	if r.root == "" || r.version == "" || epoch == 0 {
		fmt.Fprintln(os.Stderr, "dist: -root, -version and -epoch are required (make dist sets them)")
		os.Exit(2)
	}
	r.mtime = time.Unix(epoch, 0).UTC()
	if err := r.run(); err != nil {
		fmt.Fprintf(os.Stderr, "dist: %v\n", err)
		os.Exit(1)
	}
}

func (r *release) run() error {
	var err error
	if r.out, err = filepath.Abs(r.out); err != nil {
		return err
	}
	if err := os.RemoveAll(r.out); err != nil {
		return err
	}
	r.work = filepath.Join(r.out, ".work")
	if err := os.MkdirAll(r.work, 0o755); err != nil {
		return err
	}
	docs, err := r.generated()
	if err != nil {
		return err
	}
	// Two builds at a time: the machine of record has two cores.
	errs := make([]error, len(targets))
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = r.build(t.os, t.arch)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	var made []string
	for _, t := range targets {
		name, err := r.archive(t.os, t.arch, docs)
		if err != nil {
			return err
		}
		made = append(made, name)
		if t.os == "linux" {
			for _, format := range []string{"deb", "rpm"} {
				name, err := r.pkg(format, t.arch, docs)
				if err != nil {
					return err
				}
				made = append(made, name)
			}
		}
	}
	if err := r.checksums(made); err != nil {
		return err
	}
	return os.RemoveAll(r.work)
}

func (r *release) bindir(goos, goarch string) string {
	return filepath.Join(r.work, "bin", goos+"_"+goarch)
}

func exe(goos string) string {
	if goos == "windows" {
		return ".exe"
	}
	return ""
}

// build builds the three binaries for one platform.
func (r *release) build(goos, goarch string) error {
	ldflags := fmt.Sprintf("-s -w -buildid= -X main.version=%s -X main.commit=%s", r.version, r.commit)
	for _, b := range binaries {
		out := filepath.Join(r.bindir(goos, goarch), b.name+exe(goos))
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, b.pkg)
		cmd.Dir = r.root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=-mod=readonly")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s for %s/%s: %w\n%s", b.pkg, goos, goarch, err, out)
		}
	}
	return nil
}

// doc is one file of an archive or package besides the binaries.
type doc struct {
	name string // path inside an archive
	data []byte
}

// generated is the man page and the completions, from a build of the
// full binary for this machine (they do not depend on the platform),
// with README.md, LICENSE and docs/licenses.md.
func (r *release) generated() (map[string]doc, error) {
	host := filepath.Join(r.work, "host", "vault-token-helper-full")
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags", "-X main.version="+r.version, "-o", host, "./cmd/token-helper-full")
	cmd.Dir = r.root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build the full binary for this machine: %w\n%s", err, out)
	}
	run := func(args ...string) ([]byte, error) {
		c := exec.Command(host, args...)
		c.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.FormatInt(r.mtime.Unix(), 10))
		out, err := c.Output()
		if err != nil {
			return nil, fmt.Errorf("vault-token-helper %s: %w", strings.Join(args, " "), err)
		}
		return out, nil
	}
	d := map[string]doc{}
	for key, spec := range map[string]struct {
		name string
		args []string
	}{
		"man":  {"man/vault-token-helper.1", []string{"man"}},
		"bash": {"completions/vault-token-helper.bash", []string{"completion", "bash"}},
		"zsh":  {"completions/_vault-token-helper", []string{"completion", "zsh"}},
		"fish": {"completions/vault-token-helper.fish", []string{"completion", "fish"}},
	} {
		out, err := run(spec.args...)
		if err != nil {
			return nil, err
		}
		d[key] = doc{spec.name, out}
	}
	for key, name := range map[string]string{"readme": "README.md", "license": "LICENSE", "licenses": "docs/licenses.md"} {
		b, err := os.ReadFile(filepath.Join(r.root, name))
		if err != nil {
			return nil, err
		}
		d[key] = doc{name, b}
	}
	lics, err := r.licenseTexts()
	if err != nil {
		return nil, err
	}
	for k, v := range lics {
		d[k] = v
	}
	for _, unit := range []string{"vault-token-renew.service", "vault-token-renew.timer"} {
		b, err := os.ReadFile(filepath.Join(r.root, "contrib", "systemd", unit))
		if err != nil {
			return nil, err
		}
		d[unit] = doc{"systemd/" + unit, bytes.ReplaceAll(b, []byte("@BINDIR@"), []byte("/usr/bin"))}
	}
	return d, nil
}

// licenseTexts are the license files of every module the binaries link
// (for any released GOOS), as licenses/MODULE/FILE: MIT and BSD ask for
// their text in a binary distribution; docs/licenses.md lists them.
func (r *release) licenseTexts() (map[string]doc, error) {
	dirs := map[string]string{} // module path -> its directory
	for _, goos := range []string{"linux", "darwin", "windows"} {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}} {{.Dir}}{{end}}{{end}}", "./cmd/...")
		cmd.Dir = r.root
		cmd.Env = append(os.Environ(), "GOOS="+goos)
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go list the linked modules for %s: %w", goos, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) == 2 {
				dirs[f[0]] = f[1]
			}
		}
	}
	d := map[string]doc{}
	for mod, dir := range dirs {
		found := false
		for _, name := range []string{"LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				continue
			}
			d["license:"+mod] = doc{"licenses/" + mod + "/" + name, b}
			found = true
			break
		}
		if !found {
			return nil, fmt.Errorf("module %s (%s) has no LICENSE file to ship", mod, dir)
		}
	}
	return d, nil
}

// entry is one file of an archive.
type entry struct {
	name string
	mode fs.FileMode
	data []byte
}

func (r *release) archive(goos, goarch string, docs map[string]doc) (string, error) {
	base := fmt.Sprintf("%s_%s_%s_%s", project, r.version, goos, goarch)
	var entries []entry
	for _, b := range binaries {
		data, err := os.ReadFile(filepath.Join(r.bindir(goos, goarch), b.name+exe(goos)))
		if err != nil {
			return "", err
		}
		entries = append(entries, entry{b.name + exe(goos), 0o755, data})
	}
	for key, d := range docs {
		if strings.HasPrefix(key, "vault-token-renew.") {
			continue // units: /usr/bin in them is the packages' path
		}
		entries = append(entries, entry{d.name, 0o644, d.data})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var buf bytes.Buffer
	name := base + ".tar.gz"
	if goos == "windows" {
		name = base + ".zip"
		zw := zip.NewWriter(&buf)
		for _, e := range entries {
			h := &zip.FileHeader{Name: base + "/" + e.name, Method: zip.Deflate, Modified: r.mtime}
			h.SetMode(e.mode)
			w, err := zw.CreateHeader(h)
			if err != nil {
				return "", err
			}
			if _, err := w.Write(e.data); err != nil {
				return "", err
			}
		}
		if err := zw.Close(); err != nil {
			return "", err
		}
	} else {
		gz, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		tw := tar.NewWriter(gz)
		dirs := map[string]bool{}
		for _, e := range entries {
			for d := path.Dir(e.name); d != "."; d = path.Dir(d) {
				if !dirs[d] {
					dirs[d] = true
				}
			}
		}
		names := append([]string{"."}, slices.Sorted(mapKeys(dirs))...)
		for _, d := range names {
			p := base + "/"
			if d != "." {
				p = base + "/" + d + "/"
			}
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: p, Mode: 0o755, ModTime: r.mtime, Format: tar.FormatPAX, Uname: "root", Gname: "root"}); err != nil {
				return "", err
			}
		}
		for _, e := range entries {
			h := &tar.Header{Typeflag: tar.TypeReg, Name: base + "/" + e.name, Mode: int64(e.mode), Size: int64(len(e.data)), ModTime: r.mtime, Format: tar.FormatPAX, Uname: "root", Gname: "root"}
			if err := tw.WriteHeader(h); err != nil {
				return "", err
			}
			if _, err := tw.Write(e.data); err != nil {
				return "", err
			}
		}
		if err := tw.Close(); err != nil {
			return "", err
		}
		if err := gz.Close(); err != nil {
			return "", err
		}
	}
	return name, os.WriteFile(filepath.Join(r.out, name), buf.Bytes(), 0o644)
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// pkg makes the .deb or .rpm for linux/arch with nfpm: the binaries in
// /usr/bin, the man page (gzipped) in /usr/share/man/man1, completions
// where bash-completion, zsh and fish look for a package's, the systemd
// user units in /usr/lib/systemd/user (enabled per user: systemctl --user
// enable --now vault-token-renew.timer, or vault-token-helper setup),
// LICENSE and README under /usr/share/doc.
func (r *release) pkg(format, goarch string, docs map[string]doc) (string, error) {
	contents, err := r.pkgContents(format, goarch, docs)
	if err != nil {
		return "", err
	}
	info := nfpm.WithDefaults(r.pkgInfo(goarch, contents))
	if err := nfpm.PrepareForPackager(info, format); err != nil {
		return "", fmt.Errorf("%s for %s: %w", format, goarch, err)
	}
	packager, err := nfpm.Get(format)
	if err != nil {
		return "", err
	}
	name := packager.ConventionalFileName(info)
	f, err := os.Create(filepath.Join(r.out, name))
	if err != nil {
		return "", err
	}
	defer f.Close()
	info.Target = f.Name()
	if err := packager.Package(info, f); err != nil {
		return "", fmt.Errorf("%s for %s: %w", format, goarch, err)
	}
	return name, f.Close()
}

// pkgContents stages the files of one package (binaries, man page,
// completions, systemd units, licenses) and says where each goes.
func (r *release) pkgContents(format, goarch string, docs map[string]doc) (files.Contents, error) {
	stage := filepath.Join(r.work, format+"_"+goarch)
	if err := os.MkdirAll(stage, 0o755); err != nil {
		return nil, err
	}
	var man bytes.Buffer
	gz, err := gzip.NewWriterLevel(&man, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := gz.Write(docs["man"].data); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	fileInfo := func(mode fs.FileMode) *files.ContentFileInfo {
		return &files.ContentFileInfo{Mode: mode, MTime: r.mtime, Owner: "root", Group: "root"}
	}
	var contents files.Contents
	for _, b := range binaries {
		contents = append(contents, &files.Content{
			Source: filepath.Join(r.bindir("linux", goarch), b.name), Destination: "/usr/bin/" + b.name, FileInfo: fileInfo(0o755),
		})
	}
	type staged struct {
		name string
		data []byte
		dst  string
	}
	docdir := "/usr/share/doc/" + project
	zshdir := map[string]string{"deb": "/usr/share/zsh/vendor-completions", "rpm": "/usr/share/zsh/site-functions"}[format]
	all := []staged{
		{"man.1.gz", man.Bytes(), "/usr/share/man/man1/vault-token-helper.1.gz"},
		{"bash", docs["bash"].data, "/usr/share/bash-completion/completions/vault-token-helper"},
		{"zsh", docs["zsh"].data, zshdir + "/_vault-token-helper"},
		{"fish", docs["fish"].data, "/usr/share/fish/vendor_completions.d/vault-token-helper.fish"},
		{"service", docs["vault-token-renew.service"].data, "/usr/lib/systemd/user/vault-token-renew.service"},
		{"timer", docs["vault-token-renew.timer"].data, "/usr/lib/systemd/user/vault-token-renew.timer"},
		{"license", docs["license"].data, docdir + "/LICENSE"},
		{"readme", docs["readme"].data, docdir + "/README.md"},
		{"licenses", docs["licenses"].data, docdir + "/licenses.md"},
	}
	var lics []string
	for key := range docs {
		if strings.HasPrefix(key, "license:") {
			lics = append(lics, key)
		}
	}
	sort.Strings(lics)
	for i, key := range lics {
		all = append(all, staged{fmt.Sprintf("license-%d", i), docs[key].data, docdir + "/" + docs[key].name})
	}
	for _, f := range all {
		src := filepath.Join(stage, f.name)
		if err := os.WriteFile(src, f.data, 0o644); err != nil {
			return nil, err
		}
		contents = append(contents, &files.Content{Source: src, Destination: f.dst, FileInfo: fileInfo(0o644)})
	}
	// bash-completion loads a command's file by the command's name.
	for _, alias := range []string{"vault-token-helper-full", "vault-token-renew"} {
		contents = append(contents, &files.Content{Type: files.TypeSymlink, Source: "vault-token-helper", Destination: "/usr/share/bash-completion/completions/" + alias, FileInfo: &files.ContentFileInfo{MTime: r.mtime}})
	}
	return contents, nil
}

// pkgInfo is the package's metadata around its contents.
func (r *release) pkgInfo(goarch string, contents files.Contents) *nfpm.Info {
	return &nfpm.Info{
		Name:        project,
		Arch:        goarch,
		Platform:    "linux",
		Version:     r.version,
		Release:     "1",
		Section:     "utils",
		Priority:    "optional",
		Maintainer:  "vault-token-helper maintainers <vault-token-helper@users.noreply.github.com>",
		Description: "Token helper for the Vault and OpenBao CLIs that keeps a renewed periodic token",
		Vendor:      project,
		Homepage:    "https://github.com/vault-token-helper/vault-token-helper",
		License:     "Apache-2.0",
		MTime:       r.mtime,
		Overridables: nfpm.Overridables{
			Contents: contents,
		},
	}
}

// checksums writes checksums.txt: "SHA256  NAME" per file, sorted, as
// sha256sum -c reads it.
func (r *release) checksums(names []string) error {
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		f, err := os.Open(filepath.Join(r.out, n))
		if err != nil {
			return err
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(h.Sum(nil)), n)
	}
	return os.WriteFile(filepath.Join(r.out, "checksums.txt"), []byte(b.String()), 0o644)
}
