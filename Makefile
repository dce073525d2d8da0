# vault-token-helper
#
#   make build       both binaries into ./bin
#   make test        every test, end-to-end ones included (builds Vault and OpenBao first when missing)
#   make test-short  unit tests only: no Vault, no network; heal coverage at least 85%
#   make vault       build the Vault test binary once; prints its path as the last line
#   make bao         build the OpenBao test binary once; prints its path as the last line
#   make lint        gofmt check, go vet, staticcheck (pinned), also with each build tag
#   make fuzz        long fuzz runs (FUZZTIME each); `make test` runs them briefly
#   make bench       measurements into docs/performance.md (needs `make vault`)
#   make demo        the story end to end against a local dev Vault, in a temporary HOME
#                    (README=README.md rewrites the README's 60 seconds from it)
#   make test-windows the Windows builds under Wine: the store's unit tests and the
#                    protocol contract against a dev Vault (needs wine64, MinGW; docs/packaging.md)
#   make dist        release archives, .deb/.rpm and checksums into DIST (default dist/)
#   make test-dist   make dist, then check what it made (internal/dist)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go
export GOTOOLCHAIN := local

VAULT_VERSION := 1.21.0
VAULT_CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vault-token-helper
VAULT_BIN ?= $(VAULT_CACHE)/vault-$(VAULT_VERSION)
export VAULT_BIN

BAO_VERSION := 2.6.2
BAO_BIN ?= $(VAULT_CACHE)/bao-$(BAO_VERSION)
export BAO_BIN

STATICCHECK_VERSION := v0.8.2
FUZZTIME ?= 2m
FUZZTIME_SHORT ?= 10s
TEST_TIMEOUT ?= 45m

# package:FuzzTarget pairs run by `make fuzz` and, briefly, by `make test`.
FUZZ_TARGETS := ./store:FuzzNormalizeAddr ./store/disk:FuzzDecodeAgreesWithEncodingJSON ./helper:FuzzParseToken ./helper:FuzzParseConfig ./helper/caller:FuzzParse

.PHONY: all build test test-short vault bao lint fuzz fuzz-short bench demo clean test-windows dist test-dist

all: build

# CGO_ENABLED=0: static binaries that start faster (no dynamic loader) and
# never ask NSS (nscd, sssd) anything; see docs/performance.md.
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
BUILD := CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-X main.version=$(VERSION) -X main.commit=$(COMMIT)"

build:
	@mkdir -p bin
	$(BUILD) -o bin/vault-token-helper ./cmd/token-helper
	$(BUILD) -o bin/vault-token-helper-full ./cmd/token-helper-full
	$(BUILD) -o bin/vault-token-renew ./cmd/renew

# The Vault binary is big: about 4 GB of modules and 11 to 21 minutes on 2
# cores the first time (the one figure README.md and docs/contributing.md
# give too), so it is built once per version into a cache outside the
# repository and reused. VAULT_BIN=/path/to/vault overrides it.
vault:
	@if [ -x "$(VAULT_BIN)" ]; then \
		echo "vault $(VAULT_VERSION) is cached" >&2; \
	else \
		mkdir -p "$(dir $(VAULT_BIN))"; \
		echo "building vault $(VAULT_VERSION) into $(VAULT_BIN) (cold: about 4 GB of modules, 11 to 21 minutes on 2 cores)" >&2; \
		cd internal/vaultbin && $(GO) build -trimpath -ldflags "-s -w" -o "$(VAULT_BIN).tmp.$$$$" . \
			&& mv -f "$(VAULT_BIN).tmp.$$$$" "$(VAULT_BIN)"; \
	fi
	@cd "$(dir $(VAULT_BIN))" && echo "$$(pwd -P)/$(notdir $(VAULT_BIN))"

# The OpenBao test binary (server and CLI) is built from the unmodified upstream
# source in internal/baobin (the Go proxy does not serve it), once per version
# into the same cache: ~15-20 minutes cold on 2 cores. BAO_BIN=/path/to/bao
# overrides it.
bao:
	@if [ -x "$(BAO_BIN)" ]; then \
		echo "bao $(BAO_VERSION) is cached" >&2; \
	else \
		mkdir -p "$(dir $(BAO_BIN))"; \
		echo "building bao $(BAO_VERSION) into $(BAO_BIN) (cold: ~20 minutes)" >&2; \
		./internal/baobin/build-bao.sh "$(BAO_BIN)" >&2; \
	fi
	@cd "$(dir $(BAO_BIN))" && echo "$$(pwd -P)/$(notdir $(BAO_BIN))"

# The end-to-end tests mostly wait on processes (the CLI, the dev servers),
# so more of them run at once than there are cores: -p 3 runs the three
# end-to-end packages side by side, -parallel 4 four tests of a package.
# A test that fails when the machine is busy is a defect, not a reason to
# lower these.
TEST_P ?= 3
TEST_PARALLEL ?= 4

test: vault bao
	VTH_E2E=1 $(GO) test -count=1 -p $(TEST_P) -parallel $(TEST_PARALLEL) -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) --no-print-directory fuzz-short

# heal's decisions are unit-tested on the fake Vault: its coverage may not
# drop below this.
HEAL_COVER_MIN := 85

test-short:
	@$(GO) test -short -count=1 -cover ./... | tee /dev/stderr | awk -v min=$(HEAL_COVER_MIN) \
		'$$2 ~ /\/heal$$/ { for (i = 1; i <= NF; i++) if ($$i ~ /%$$/) { c = $$i + 0; found = 1 } } \
		END { if (!found) { print "no coverage for ./heal" > "/dev/stderr"; exit 1 } \
		      if (c < min) { printf "heal coverage %.1f%% is below %d%%\n", c, min > "/dev/stderr"; exit 1 } }'

# The product's packages (no test servers, which are unix only) are vetted
# for these platforms too: they must build there (docs/packaging.md).
PRODUCT_PKGS := ./cmd/... ./helper/... ./store/... ./heal/...
CROSS_VET := windows/amd64 windows/arm64 freebsd/amd64 openbsd/amd64

# Build tags whose files only compile with the tag: linted as well.
LINT_TAGS := crashpoints bench

lint:
	@out="$$(gofmt -l . internal/vaultbin)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	GOOS=darwin $(GO) vet ./...
	@for t in $(CROSS_VET); do echo "GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet $(PRODUCT_PKGS)"; GOOS=$${t%/*} GOARCH=$${t#*/} $(GO) vet $(PRODUCT_PKGS); done
	@for tag in $(LINT_TAGS); do echo "$(GO) vet -tags $$tag ./..."; $(GO) vet -tags $$tag ./...; done
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	@for tag in $(LINT_TAGS); do echo "staticcheck -tags $$tag ./..."; $(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) -tags $$tag ./...; done

fuzz-short:
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(FUZZTIME_SHORT)

fuzz:
	@for t in $(FUZZ_TARGETS); do \
		pkg="$${t%%:*}"; name="$${t##*:}"; \
		echo "fuzz $$name in $$pkg for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$pkg"; \
	done

bench: build vault
	./bench/run.sh

# The demo uses VAULT_BIN when it exists, else a `vault` on PATH, and only
# builds the test binary when there is neither. README=README.md rewrites
# the README's 60-seconds block with its transcript (TestREADMEMatchesDemo
# checks that they agree).
demo: build
	@vault="$(VAULT_BIN)"; \
	if [ ! -x "$$vault" ]; then vault="$$(command -v vault || true)"; fi; \
	if [ -z "$$vault" ]; then vault="$$($(MAKE) --no-print-directory vault | tail -n 1)"; fi; \
	echo "using vault $$vault" >&2; \
	VAULT_BIN="$$vault" $(GO) run ./internal/demo -helper "$(CURDIR)/bin/vault-token-helper" -renew "$(CURDIR)/bin/vault-token-renew" $(if $(README),-readme "$(README)")

# Wine runs the windows/amd64 builds: a prefix of its own under
# WINE_PREFIX (made once by internal/wine/prefix/setup-wine.sh), the
# store's unit tests through `go test -exec`, and the protocol contract
# of the .exe files against a dev Vault on the host.
WINE_PREFIX ?= $(or $(TMPDIR),/tmp)/vault-token-helper-wine
test-windows: vault
	@wine="$$(WINEPREFIX="$(WINE_PREFIX)" internal/wine/prefix/setup-wine.sh)"; \
	overlay="$$(internal/wine/overlay.sh "$(WINE_PREFIX)/go-overlay")"; \
	echo "GOOS=windows go test -exec internal/wine/exec.sh ./store/... (wine: $$wine)"; \
	WINEPREFIX="$(WINE_PREFIX)" VTH_WINE="$$wine" GOOS=windows GOARCH=amd64 \
		$(GO) test -count=1 $${overlay:+-overlay "$$overlay"} -exec "$(CURDIR)/internal/wine/exec.sh" ./store/...; \
	echo "the windows binaries' protocol contract under Wine"; \
	WINEPREFIX="$(WINE_PREFIX)" VTH_WINE="$$wine" VTH_E2E=1 $(GO) test -count=1 -run TestWindowsContract ./internal/wine

# make dist: internal/tools/dist (its own module, nfpm pinned there) builds
# everything into DIST. The version is the tag at HEAD without its v, else
# 0.0.0-dev.COMMIT; every file time is the commit's (reproducible).
DIST ?= dist
DIST_VERSION ?= $(shell v=$$(git describe --tags --exact-match --match 'v[0-9]*' 2>/dev/null) && echo "$${v\#v}" || echo "0.0.0-dev.$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)")
DIST_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 1)
dist:
	@if [ -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then \
		echo "warning: the tree has uncommitted changes: this is not a release of $(COMMIT)" >&2; fi
	cd internal/tools && $(GO) run ./dist -root "$(CURDIR)" -out "$(abspath $(DIST))" \
		-version "$(DIST_VERSION)" -commit "$(COMMIT)" -epoch "$(DIST_EPOCH)"
	@echo "made $(DIST):" && ls "$(DIST)"

# test-dist checks what make dist made (internal/dist: checksums, the .deb
# and the linux_amd64 archive against a dev Vault), and that a second run
# (warm: links and packaging only) gives the same checksums.
test-dist: dist vault
	VTH_DIST="$(abspath $(DIST))" VTH_DIST_VERSION="$(DIST_VERSION)" VTH_E2E=1 $(GO) test -count=1 ./internal/dist
	@again="$$(mktemp -d)"; trap 'rm -rf "$$again"' EXIT; \
	$(MAKE) --no-print-directory dist DIST="$$again/dist" >/dev/null; \
	if cmp -s "$(DIST)/checksums.txt" "$$again/dist/checksums.txt"; then echo "make dist is reproducible: a second run gave the same checksums"; \
	else echo "make dist is not reproducible:"; diff "$(DIST)/checksums.txt" "$$again/dist/checksums.txt"; exit 1; fi

clean:
	rm -rf bin
