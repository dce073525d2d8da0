// Package dist holds the checks of what `make dist` ships: the license
// list of the linked modules, and (with VTH_DIST set to a dist directory)
// the archives, checksums and packages themselves.
package dist
