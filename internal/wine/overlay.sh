#!/usr/bin/env bash
# overlay.sh DIR: writes DIR/overlay.json, a `go build -overlay` file for
# the Windows test binaries run under Wine, and prints its path (nothing
# when no overlay is needed).
#
# Go's os.RemoveAll on Windows deletes with FileDispositionInformationEx
# and falls back to the older call only for the statuses Windows gives
# when it lacks it; Wine 8 answers STATUS_NOT_IMPLEMENTED, so every
# t.TempDir cleanup fails there with "Invalid function". The overlay adds
# that status (and STATUS_INVALID_DEVICE_REQUEST) to the fallback's list
# in a copy of the toolchain's own file: test builds only, never a
# release binary.
set -euo pipefail
dir=$1
src="$(go env GOROOT)/src/internal/syscall/windows/at_windows.go"
mkdir -p "$dir"
pattern='STATUS_NOT_SUPPORTED:     // the file system'
if ! grep -q "$pattern" "$src"; then
	echo "overlay.sh: $src has changed; running without the Wine overlay" >&2
	exit 0
fi
sed "s|$pattern|STATUS_NOT_SUPPORTED, NTStatus(0xC0000002), NTStatus(0xC0000010): // the file system|" "$src" >"$dir/at_windows.go"
printf '{"Replace":{"%s":"%s"}}\n' "$src" "$dir/at_windows.go" >"$dir/overlay.json"
echo "$dir/overlay.json"
