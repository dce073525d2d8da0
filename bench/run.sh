#!/usr/bin/env bash
# bench/run.sh: measure vault-token-helper and rewrite docs/performance.md.
#
# `make bench` runs it after `make build` and `make vault`; it also runs on
# its own from any directory. It needs Go, the Vault binary (VAULT_BIN, or
# the one `make vault` caches) and bash; strace and GNU time are installed
# with apt-get when missing (see below). A full run takes about 10
# minutes on 2 cores. Nothing here asserts a time; the numbers go into the
# document.
#
# Settings (environment): BENCH_OUT (default docs/performance.md),
# BENCH_GET_RUNS, BENCH_EXEC_RUNS, BENCH_LOOKUP_RUNS, BENCH_LOGIN_RUNS, BENCH_STORE_RUNS,
# BENCH_SCAN_RUNS, BENCH_RENEW_RUNS, BENCH_INIT_RUNS, BENCH_RSS_RUNS,
# BENCH_NOISE (values of N besides 0, default 1000,5000) and
# BENCH_SWEEP_BUDGET (seconds the bash sweep may run per N, default 240).
# See bench/performance_test.go.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd -P)
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

if [[ -n ${MAKELEVEL:-} ]]; then
	command="make bench"
else
	command="./bench/run.sh"
	# `make bench` has just built them; on our own, build them now.
	make --no-print-directory build
fi
if [[ -z ${VAULT_BIN:-} ]]; then
	VAULT_BIN=$(make --no-print-directory -s vault | tail -n 1)
fi
if [[ ! -x $VAULT_BIN ]]; then
	echo "bench: vault binary ${VAULT_BIN@Q} not found: run \`make vault\` first (or set VAULT_BIN)" >&2
	exit 1
fi
export VAULT_BIN

# strace checks that get opens no socket and takes no lock; GNU time
# measures peak RSS. Install them when missing and apt-get can; without
# them those two rows say "not measured".
missing=()
command -v strace >/dev/null 2>&1 || missing+=(strace)
[[ -x /usr/bin/time ]] || missing+=(time)
if ((${#missing[@]} > 0)) && command -v apt-get >/dev/null 2>&1; then
	echo "bench: installing ${missing[*]}" >&2
	sudo=()
	if [[ $(id -u) != 0 ]]; then sudo=(sudo -n); fi
	if ! { "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1 ||
		{ "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 && "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; }; }; then
		echo "bench: could not install ${missing[*]}; measuring without" >&2
	fi
fi

gobench=$(mktemp)
trap 'rm -f "$gobench"' EXIT

echo "bench: in-process benchmarks" >&2
go test -run '^$' -bench . -benchmem -count 3 ./bench | tee "$gobench"

echo "bench: end-to-end measurements (dev Vaults; about 10 minutes)" >&2
BENCH_COMMAND=$command \
	BENCH_BIN="$root/bin" \
	BENCH_OUT=${BENCH_OUT:-$root/docs/performance.md} \
	BENCH_GOBENCH_FILE=$gobench \
	go test -tags bench -run '^TestPerformance$' -count=1 -timeout 60m -v ./bench
