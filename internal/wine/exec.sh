#!/bin/sh
# go test -exec program for GOOS=windows: runs the test binary in Wine.
# VTH_WINE is the wine64 program (prefix/setup-wine.sh prints it) and
# WINEPREFIX a prefix it prepared. umask 077: Wine derives a file's access
# list from its unix mode, so what the tests create is private there too.
umask 077
: "${VTH_WINE:?set VTH_WINE to the wine64 program (make test-windows does)}"
WINEDEBUG=-all exec "$VTH_WINE" "$@"
