// Package wine runs the Windows builds under Wine: prefix/setup-wine.sh prepares
// a prefix (a stub bcryptprimitives.dll, which Go 1.22+ needs and Wine 8
// lacks), exec.sh is the `go test -exec` program for the store's unit
// tests, and TestWindowsContract holds the Windows binaries to the token
// helper protocol against a dev Vault on the host. `make test-windows`
// runs all of it; docs/packaging.md says what runs under Wine and what
// is only compiled.
package wine
