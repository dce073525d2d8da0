// Package bench measures vault-token-helper and writes
// docs/performance.md. `make bench` runs bench/run.sh, which runs:
//
//   - the in-process Go benchmarks of this package (get_test.go:
//     store.Files.Token and the `get` verb without a process start);
//   - TestPerformance (performance_test.go, build tag "bench"), which
//     starts local dev Vaults and measures the binaries `make build`
//     makes, interleaving the compared commands and reporting medians
//     and ratios: `get` of the front (vault-token-helper, what the Vault
//     CLI runs) against cat, a plain Go program and the full binary
//     (vault-token-helper-full); the one extra exec the front costs every
//     other verb; the Vault CLI with our helper against its built-in file
//     helper; a store that mints at N = 0, 1,000 and 5,000 unrelated
//     tokens against the old bash renewer's sweep (sweep.sh); renew for
//     1 and 10 stored addresses.
//
// Contract: nothing here asserts a wall time, so nothing here can fail
// `make test` on a slow or busy machine. Without the "bench" tag and
// without -bench, `go test ./...` compiles this package and runs
// nothing. TestPerformance fails only when a measured command fails
// (a wrong exit code or output), never because it is slow. Every
// measured process runs in a fresh HOME with its own XDG directories and
// VAULT_CONFIG_PATH: no run touches the real ~/.vault-token.
//
// cmd/readfile (the floor for a Go helper) and cmd/firstget (the front's
// lookup, timed inside a fresh process) exist only to be measured.
package bench
