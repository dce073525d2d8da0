// Package tools is a module of its own for the release tooling, so that
// the product's go.mod names only what the binaries link: nfpm (pinned by
// the tool directive in go.mod and used as a library by ./dist), which
// makes the .deb and .rpm packages. `make dist` runs ./dist.
package tools
