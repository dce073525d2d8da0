package dist

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLicensesListsEveryLinkedModule holds docs/licenses.md to what the
// binaries link: every non-standard module that `go list -deps ./cmd/...`
// names, for each released GOOS, is listed at its version, with the
// license its own LICENSE file states, and nothing else is listed.
func TestLicensesListsEveryLinkedModule(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	doc, err := os.ReadFile(filepath.Join(root, "docs", "licenses.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]string{} // "path version" -> license
	for _, line := range strings.Split(string(doc), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if len(cells) == 3 && strings.Contains(cells[0], ".") && cells[0] != "module" {
			listed[cells[0]+" "+cells[1]] = cells[2]
		}
	}
	linked := map[string]string{} // "path version" -> module dir
	for _, goos := range []string{"linux", "darwin", "windows"} {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}} {{.Version}} {{.Dir}}{{end}}{{end}}", "./cmd/...")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS="+goos)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list for %s: %v", goos, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 {
				linked[f[0]+" "+f[1]] = f[2]
			}
		}
	}
	if len(linked) == 0 {
		t.Fatal("go list named no module: the check would pass on nothing")
	}
	for mod, dir := range linked {
		got, ok := listed[mod]
		if !ok {
			t.Errorf("docs/licenses.md does not list %s, which the binaries link", mod)
			continue
		}
		if want := licenseOf(t, dir); got != want {
			t.Errorf("docs/licenses.md: %s is %s, its LICENSE says %s", mod, got, want)
		}
	}
	for mod := range listed {
		if _, ok := linked[mod]; !ok {
			t.Errorf("docs/licenses.md lists %s, which no binary links", mod)
		}
	}
}

// licenseOf names the license of the module in dir from the opening of
// its LICENSE file.
func licenseOf(t *testing.T, dir string) string {
	t.Helper()
	for _, name := range []string{"LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		s := string(b)
		switch {
		case strings.Contains(s, "Apache License") && strings.Contains(s, "Version 2.0"):
			return "Apache-2.0"
		case strings.Contains(s, "Mozilla Public License") && strings.Contains(s, "2.0"):
			return "MPL-2.0"
		case strings.Contains(s, "Permission is hereby granted, free of charge"):
			return "MIT"
		case strings.Contains(s, "Redistribution and use in source and binary forms") && strings.Contains(s, "Neither the name"):
			return "BSD-3-Clause"
		case strings.Contains(s, "Redistribution and use in source and binary forms"):
			return "BSD-2-Clause"
		}
		return "unknown (" + name + ")"
	}
	return "none found"
}

// repoRoot is the directory of the product's go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", dir, err)
	}
	return dir
}
