#!/usr/bin/env bash
# install.sh: build vault-token-helper with this machine's Go and run
# `vault-token-helper setup` with the same arguments.
#
#   ./install.sh [--cli vault|bao|both] [--prefix DIR] [--no-timer]   install (or update)
#   ./install.sh [--prefix DIR] --uninstall                            remove
#
# The binaries are built into a temporary directory, which is removed
# afterwards; setup (helper/setup) installs them and does everything else.
# ./install.sh --help shows its options. Exit codes are setup's: 0 done,
# 1 failed, 2 bad arguments.
set -euo pipefail
umask 077

die() {
	printf 'install.sh: %s\n' "$*" >&2
	exit 1
}

src_dir=$(cd -P "$(dirname "$0")" && pwd -P)
if [ ! -f "$src_dir/go.mod" ] || [ ! -d "$src_dir/cmd/token-helper-full" ]; then
	die "\"$src_dir\" is not the vault-token-helper source tree"
fi

# go on PATH, else where the official tarball puts it.
go=go
if ! command -v go >/dev/null 2>&1; then
	go=/usr/local/go/bin/go
	[ -x "$go" ] || die "go not found in PATH or at /usr/local/go/bin/go; install Go (https://go.dev/dl/), then run ./install.sh again"
fi

version=dev
# Only this tree's own history: not that of a repository it sits in.
if [ -e "$src_dir/.git" ] && command -v git >/dev/null 2>&1 && version=$(git -C "$src_dir" describe --always 2>/dev/null); then
	# As git describe --dirty, without taking the index lock.
	if [ -n "$(GIT_OPTIONAL_LOCKS=0 git -C "$src_dir" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
		version=$version-dirty
	fi
else
	version=dev
fi

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/vault-token-helper-build.XXXXXX") || die "cannot create a temporary directory"
trap 'rm -rf -- "$tmpdir"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

for pair in vault-token-helper-full:token-helper-full vault-token-helper:token-helper vault-token-renew:renew; do
	name=${pair%%:*}
	# Static binaries: faster start, no NSS lookups (docs/performance.md).
	(cd "$src_dir" && CGO_ENABLED=0 "$go" build -trimpath -ldflags "-X main.version=$version" -o "$tmpdir/$name" "./cmd/${pair#*:}") ||
		die "go build ./cmd/${pair#*:} failed (output above); nothing was installed"
done

# Not exec: the trap removes the temporary directory afterwards.
status=0
"$tmpdir/vault-token-helper-full" setup "$@" || status=$?
exit "$status"
