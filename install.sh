#!/usr/bin/env bash
# install.sh: build vault-token-helper and vault-token-renew with this
# machine's Go and install them for the current user.
#
#   ./install.sh [--prefix DIR] [--no-timer]   install (or update)
#   ./install.sh [--prefix DIR] --uninstall    remove
#
# Install:
#   1. builds both binaries (go build -trimpath, version from git describe)
#      and moves them into ~/.local/bin (DIR/bin with --prefix), mode 0755;
#   2. writes a commented default configuration when there is none;
#   3. sets token_helper in ~/.vault ($VAULT_CONFIG_PATH), keeping every
#      other line and backing the file up when it changes;
#   4. adopts the token in ~/.vault-token when it is a periodic token of
#      ours (vault-token-helper adopt), and leaves it alone otherwise;
#   5. writes vault-token-renew.service and .timer from contrib/systemd/
#      to $XDG_CONFIG_HOME/systemd/user/ and enables the timer when a
#      systemd user manager is reachable (--no-timer skips this step).
# Uninstall undoes 5, writes the periodic token of the mirror address to
# ~/.vault-token (so the CLI's built-in helper keeps working), removes the
# token_helper line and then the binaries. The configuration and the
# token store stay.
#
# Running it twice changes nothing the second time. It never prints a
# token. Exit codes: 0 done, 1 failed (one line says why), 2 bad arguments.
set -euo pipefail
umask 077

prog=install.sh
helper_name=vault-token-helper
full_name=vault-token-helper-full # the front (helper_name) executes it for every verb but get
renew_name=vault-token-renew
timer_unit=vault-token-renew.timer
service_unit=vault-token-renew.service

usage() {
	cat <<'EOF'
usage: ./install.sh [--prefix DIR] [--no-timer] [--uninstall]

Builds vault-token-helper and vault-token-renew with Go and installs them
for the current user: binaries in ~/.local/bin (or DIR/bin), token_helper
in ~/.vault (or $VAULT_CONFIG_PATH), a default config when there is none,
and the daily vault-token-renew.timer systemd user unit.

  --prefix DIR   install the binaries into DIR/bin instead of ~/.local/bin
  --no-timer     do not install (or, with --uninstall, remove) the systemd units
  --uninstall    undo the install; keeps the config and the token store
  -h, --help     show this help
EOF
}

say() { printf '%s\n' "$*"; }
warn() { printf '%s: warning: %s\n' "$prog" "$*" >&2; }
die() {
	printf '%s: %s\n' "$prog" "$*" >&2
	exit 1
}
usage_error() {
	printf '%s: %s\n' "$prog" "$*" >&2
	usage >&2
	exit 2
}

# ---- arguments ------------------------------------------------------------

prefix=""
timer=1
uninstall=0
while [ "$#" -gt 0 ]; do
	case "$1" in
	--prefix)
		if [ "$#" -lt 2 ] || [ -z "$2" ]; then
			usage_error "--prefix needs a directory"
		fi
		prefix=$2
		shift 2
		;;
	--prefix=*)
		prefix=${1#--prefix=}
		[ -n "$prefix" ] || usage_error "--prefix needs a directory"
		shift
		;;
	--no-timer)
		timer=0
		shift
		;;
	--uninstall)
		uninstall=1
		shift
		;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage_error "unknown argument \"$1\""
		;;
	esac
done

# ---- paths ----------------------------------------------------------------

if [ -z "${HOME:-}" ] || [ ! -d "$HOME" ]; then
	die "HOME is not set to a directory"
fi

# abs_path makes a path absolute against the directory the script was
# started from (before it changes directory for the build).
start_dir=$(pwd -P)
abs_path() {
	case "$1" in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$start_dir/$1" ;;
	esac
}

# xdg_dir NAME DEFAULT: $NAME when it is an absolute path (as adrg/xdg
# reads it), DEFAULT otherwise.
xdg_dir() {
	local v
	v=$(printenv "$1" || true)
	case "$v" in
	/*) printf '%s\n' "$v" ;;
	*) printf '%s\n' "$2" ;;
	esac
}

if [ -n "$prefix" ]; then
	bindir=$(abs_path "$prefix")/bin
else
	bindir=$HOME/.local/bin
fi
bindir=${bindir%/}
helper_bin=$bindir/$helper_name
vault_cfg=$(abs_path "${VAULT_CONFIG_PATH:-$HOME/.vault}")
config_home=$(xdg_dir XDG_CONFIG_HOME "$HOME/.config")
data_home=$(xdg_dir XDG_DATA_HOME "$HOME/.local/share")
helper_cfg=${VAULT_TOKEN_HELPER_CONFIG:-$config_home/vault-token-helper/config.hcl}
helper_cfg=$(abs_path "$helper_cfg")
token_store=$data_home/vault-token-helper
unit_dir=$config_home/systemd/user
token_file=$HOME/.vault-token

# The unit files name the bin dir unquoted; refuse what systemd would
# split or expand rather than write a unit that does not run.
if [ "$timer" = 1 ] && [ "$uninstall" = 0 ]; then
	case "$bindir" in
	*[!A-Za-z0-9_./@+,:=-]*)
		die "the bin dir \"$bindir\" has characters a systemd unit cannot take as they are; choose another --prefix, or use --no-timer and write the units yourself"
		;;
	esac
fi

src_dir=$(cd -P "$(dirname "$0")" && pwd -P)

# Temporary files and directories are removed however the script ends.
cleanup_paths=()
cleanup() {
	local p
	for p in "${cleanup_paths[@]+"${cleanup_paths[@]}"}"; do
		rm -rf -- "$p"
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Helpers return results in these globals, not through $(...): a
# subshell could neither exit the script nor register a temporary file.
TMP=""     # set by tmp_next_to
BACKUP=""  # set by backup
CHANGED="" # set by edit_vault_cfg: 1 when the file changed

# tmp_next_to FILE: TMP is a new empty temporary file (mode 0600) in
# FILE's directory, so that mv onto FILE is an atomic rename.
tmp_next_to() {
	TMP=$(mktemp "$(dirname "$1")/.$(basename "$1").tmp.XXXXXX") || die "cannot create a temporary file next to \"$1\""
	cleanup_paths+=("$TMP")
}

# backup FILE: copy FILE to BACKUP=FILE.bak-YYYYmmddHHMMSS (never over an
# existing backup).
backup() {
	BACKUP=$1.bak-$(date +%Y%m%d%H%M%S)
	if [ -e "$BACKUP" ] || [ -L "$BACKUP" ]; then
		BACKUP=$BACKUP-$$
	fi
	cp -p -- "$1" "$BACKUP" || die "cannot back up \"$1\" to \"$BACKUP\""
}

# hcl_quote STRING: STRING as an HCL string literal.
hcl_quote() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

# rewrite_vault_cfg MODE FILE: print the Vault CLI config FILE with the
# token_helper line set (MODE=set: the first one replaced, later ones
# dropped, one appended when there is none) or removed (MODE=unset: only
# lines that name our binary). Every other line is kept as it is.
rewrite_vault_cfg() {
	VTH_LINE="token_helper = $(hcl_quote "$helper_bin")" VTH_MODE=$1 VTH_PATH=$helper_bin awk '
		function value(line) {
			sub(/^[[:blank:]]*token_helper[[:blank:]]*=[[:blank:]]*/, "", line)
			sub(/[[:blank:]]*$/, "", line)
			if (line ~ /^".*"$/) {
				line = substr(line, 2, length(line) - 2)
				gsub(/\\"/, "\"", line)
				gsub(/\\\\/, "\\", line)
			}
			return line
		}
		/^[[:blank:]]*token_helper[[:blank:]]*=/ {
			if (ENVIRON["VTH_MODE"] == "set") {
				if (!done) print ENVIRON["VTH_LINE"]
				done = 1
				next
			}
			if (value($0) == ENVIRON["VTH_PATH"]) next
		}
		{ print }
		END { if (ENVIRON["VTH_MODE"] == "set" && !done) print ENVIRON["VTH_LINE"] }
	' "$2"
}

# other_token_helper: the value of the first token_helper line, if any.
other_token_helper() {
	awk '/^[[:blank:]]*token_helper[[:blank:]]*=/ { sub(/^[^=]*=[[:blank:]]*/, ""); print; exit }' "$vault_cfg" || true
}

# ---- install steps ----------------------------------------------------------

build() {
	# go on PATH, else where the official tarball puts it.
	local go=go
	if ! command -v go >/dev/null 2>&1; then
		go=/usr/local/go/bin/go
		[ -x "$go" ] || die "go not found in PATH or at /usr/local/go/bin/go; install Go (https://go.dev/dl/), then run ./install.sh again"
	fi
	cd "$src_dir"
	if [ ! -f go.mod ] || [ ! -d cmd/token-helper ] || [ ! -d cmd/token-helper-full ] || [ ! -d cmd/renew ]; then
		die "\"$src_dir\" is not the vault-token-helper source tree"
	fi
	local version=dev
	# Only this tree's own history: not that of a repository it sits in.
	if [ -e .git ] && command -v git >/dev/null 2>&1 && version=$(git describe --always 2>/dev/null); then
		# As git describe --dirty, without taking the index lock.
		if [ -n "$(GIT_OPTIONAL_LOCKS=0 git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
			version=$version-dirty
		fi
	else
		version=dev
	fi
	(umask 022 && mkdir -p -- "$bindir") || die "cannot create \"$bindir\""
	local tmpdir
	tmpdir=$(mktemp -d "$bindir/.vault-token-helper-build.XXXXXX") || die "cannot create a temporary directory in \"$bindir\""
	cleanup_paths+=("$tmpdir")
	local name pkg
	for name in "$full_name" "$helper_name" "$renew_name"; do
		case $name in
		"$helper_name") pkg=./cmd/token-helper ;;
		"$full_name") pkg=./cmd/token-helper-full ;;
		*) pkg=./cmd/renew ;;
		esac
		# Static binaries: faster start, no NSS lookups (docs/performance.md).
		CGO_ENABLED=0 "$go" build -trimpath -ldflags "-X main.version=$version" -o "$tmpdir/$name" "$pkg" ||
			die "go build $pkg failed (output above); nothing was installed"
		chmod 0755 "$tmpdir/$name"
	done
	say "built $helper_name, $full_name and $renew_name $version"
	# The full binary first: the front must never run without it.
	for name in "$full_name" "$helper_name" "$renew_name"; do
		if [ -f "$bindir/$name" ] && [ ! -L "$bindir/$name" ] && cmp -s "$tmpdir/$name" "$bindir/$name"; then
			say "$bindir/$name is up to date"
		else
			mv -f -- "$tmpdir/$name" "$bindir/$name" || die "cannot install \"$bindir/$name\""
			say "installed $bindir/$name"
		fi
	done
}

write_config() {
	if [ -e "$helper_cfg" ] || [ -L "$helper_cfg" ]; then
		say "kept the existing config $helper_cfg"
		return
	fi
	local addr=${VAULT_ADDR:-https://127.0.0.1:8200}
	mkdir -p -- "$(dirname "$helper_cfg")" || die "cannot create the directory of \"$helper_cfg\""
	local mirror_line note="mirror_address $addr"
	tmp_next_to "$helper_cfg"
	mirror_line="mirror_address = $(hcl_quote "$addr")"
	config_text "$mirror_line" >"$TMP"
	if [ -z "${VAULT_ADDR:-}" ]; then
		# No address to pin: the only stored address is mirrored.
		note="mirror_address unset: VAULT_ADDR is not set, so the only stored address is mirrored"
		config_text "# $mirror_line" >"$TMP"
		check_config "$TMP" || die "the default config does not parse; this is a bug in install.sh"
	elif ! check_config "$TMP" 2>/dev/null; then
		warn "VAULT_ADDR \"$addr\" is not a Vault address like https://vault.example.com:8200; the config leaves mirror_address unset"
		note="mirror_address unset"
		config_text "# $mirror_line" >"$TMP"
		check_config "$TMP" || die "the default config does not parse; this is a bug in install.sh"
	fi
	mv -f -- "$TMP" "$helper_cfg" || die "cannot write \"$helper_cfg\""
	say "wrote the default config $helper_cfg ($note)"
}

# check_config FILE: the installed helper's own parser accepts FILE.
check_config() {
	"$helper_bin" check-config "$1" >/dev/null
}

config_text() {
	cat <<EOF
# vault-token-helper configuration, written by install.sh. Edit freely:
# install.sh never overwrites this file. Unknown keys are errors.

# ~/.vault-token mirrors the periodic token of this address, for tools that
# read the file directly (sops, consul-template, envconsul...).
mirror = true
$1

# The periodic token minted at a login strong enough to mint it. Every key
# is optional; without the block:
#   display_name     "vault-token-helper" (Vault shows token-vault-token-helper)
#   policies         the login token's own, minus default and root
#   period           "768h" (32 days; vault-token-renew renews it nightly)
#   required_policy  the first policy: a token without it is not ours
#
# periodic_token {
#   display_name    = "vault-token-helper"
#   policies        = ["vault-admin"]
#   period          = "768h"
#   required_policy = "vault-admin"
# }

# Revoke the login token once the periodic token is minted (default false).
# revoke_login_token = true

# Settings for one Vault address override the ones above:
# address "https://vault.example.com:8200" {
#   periodic_token {
#     policies = ["ops-admin"]
#   }
#   revoke_login_token = true
# }
EOF
}

set_token_helper() {
	if [ ! -e "$vault_cfg" ] && [ ! -L "$vault_cfg" ]; then
		mkdir -p -- "$(dirname "$vault_cfg")" || die "cannot create the directory of \"$vault_cfg\""
		tmp_next_to "$vault_cfg"
		printf 'token_helper = %s\n' "$(hcl_quote "$helper_bin")" >"$TMP"
		mv -f -- "$TMP" "$vault_cfg" || die "cannot write \"$vault_cfg\""
		say "created $vault_cfg with token_helper = \"$helper_bin\""
		return
	fi
	edit_vault_cfg set
	if [ "$CHANGED" = 1 ]; then
		say "set token_helper = \"$helper_bin\" in $vault_cfg (backup: $BACKUP)"
	else
		say "$vault_cfg has token_helper = \"$helper_bin\" already"
	fi
}

# edit_vault_cfg MODE: rewrite the Vault CLI config with rewrite_vault_cfg
# MODE, atomically, keeping its mode, with a backup, and set CHANGED.
# Nothing changes when the content stays the same. A symlinked file (a
# dotfiles repository) is edited where it points.
edit_vault_cfg() {
	local target=$vault_cfg
	CHANGED=0
	if [ -L "$target" ]; then
		target=$(readlink -f -- "$vault_cfg") || die "cannot resolve the symlink \"$vault_cfg\""
	fi
	[ -f "$target" ] || die "\"$vault_cfg\" is not a regular file; fix it and run ./install.sh again"
	tmp_next_to "$target"
	cp -p -- "$target" "$TMP" || die "cannot read \"$vault_cfg\""
	rewrite_vault_cfg "$1" "$target" >"$TMP" || die "cannot read \"$vault_cfg\""
	if cmp -s "$TMP" "$target"; then
		return
	fi
	backup "$target"
	mv -f -- "$TMP" "$target" || die "cannot write \"$vault_cfg\""
	CHANGED=1
}

adopt_token() {
	if [ -L "$token_file" ]; then
		say "left $token_file alone: it is a symlink"
		return
	fi
	if [ ! -e "$token_file" ]; then
		say "no $token_file to adopt; the next vault login mints the periodic token"
		return
	fi
	if [ ! -f "$token_file" ] || [ ! -r "$token_file" ] || [ ! -s "$token_file" ]; then
		say "left $token_file alone: it is not a readable file with a token"
		return
	fi
	if "$helper_bin" get 2>/dev/null | cmp -s - "$token_file"; then
		say "$token_file holds the stored periodic token already"
		return
	fi
	local out
	if out=$("$helper_bin" adopt <"$token_file" 2>&1); then
		say "adopted the periodic token in $token_file for ${VAULT_ADDR:-the default address}"
	else
		# The helper's message names the token by accessor, never by value.
		out=$(printf '%s' "$out" | head -n 1)
		out=${out#vault-token-helper: }
		say "left $token_file alone (${out:-not a periodic token of ours}); vault login mints the periodic token"
	fi
}

# systemd_reachable: a systemd user manager answers.
systemd_reachable() {
	command -v systemctl >/dev/null 2>&1 && systemctl --user show-environment >/dev/null 2>&1
}

# systemctl_user ARGS: systemctl --user ARGS, quiet unless it fails.
systemctl_user() {
	local out
	if ! out=$(systemctl --user "$@" 2>&1); then
		printf '%s\n' "$out" >&2
		return 1
	fi
}

install_units() {
	if [ "$timer" = 0 ]; then
		say "skipped the systemd units (--no-timer)"
		return
	fi
	mkdir -p -- "$unit_dir" || die "cannot create \"$unit_dir\""
	local unit tmpl
	for unit in "$service_unit" "$timer_unit"; do
		tmpl=$src_dir/contrib/systemd/$unit
		[ -f "$tmpl" ] || die "the unit template \"$tmpl\" is missing"
		tmp_next_to "$unit_dir/$unit"
		# The bin dir was checked: it has no | & or backslash for sed.
		sed "s|@BINDIR@|$bindir|g" "$tmpl" >"$TMP" || die "cannot write \"$unit_dir/$unit\""
		if [ -f "$unit_dir/$unit" ] && cmp -s "$TMP" "$unit_dir/$unit"; then
			say "$unit_dir/$unit is up to date"
		else
			mv -f -- "$TMP" "$unit_dir/$unit" || die "cannot write \"$unit_dir/$unit\""
			say "wrote $unit_dir/$unit"
		fi
	done
	local cmds="systemctl --user daemon-reload && systemctl --user enable --now $timer_unit"
	if ! systemd_reachable; then
		say "no systemd user manager reachable; to enable the timer later run: $cmds"
		return
	fi
	if ! systemctl_user daemon-reload || ! systemctl_user enable --now "$timer_unit"; then
		die "could not enable $timer_unit (systemctl output above); run: $cmds"
	fi
	say "enabled and started $timer_unit"
}

# ---- uninstall steps --------------------------------------------------------

# mirror_addr: mirror_address from the config, else VAULT_ADDR.
mirror_addr() {
	local a=""
	if [ -f "$helper_cfg" ]; then
		a=$(sed -n 's/^[[:blank:]]*mirror_address[[:blank:]]*=[[:blank:]]*"\([^"]*\)".*/\1/p' "$helper_cfg" | head -n 1)
	fi
	printf '%s\n' "${a:-${VAULT_ADDR:-}}"
}

save_token() {
	if [ ! -x "$helper_bin" ]; then
		say "no $helper_bin; left $token_file as it is"
		return
	fi
	if [ -L "$token_file" ]; then
		die "$token_file is a symlink; refusing to write through it. Remove it and run ./install.sh --uninstall again"
	fi
	if [ -e "$token_file" ] && [ ! -f "$token_file" ]; then
		die "$token_file is not a regular file; remove it and run ./install.sh --uninstall again"
	fi
	local addr
	addr=$(mirror_addr)
	tmp_next_to "$token_file"
	chmod 0600 "$TMP"
	# Straight into the file: the token never passes through the shell.
	if ! VAULT_ADDR=$addr VAULT_NAMESPACE="" "$helper_bin" get >"$TMP"; then
		die "vault-token-helper get for ${addr:-the default address} failed (above); nothing was uninstalled"
	fi
	if [ ! -s "$TMP" ]; then
		say "no periodic token stored for ${addr:-the default address}; left $token_file as it is"
	elif [ -f "$token_file" ] && cmp -s "$TMP" "$token_file"; then
		say "$token_file holds the periodic token for ${addr:-the default address} already"
	else
		mv -f -- "$TMP" "$token_file" || die "cannot write \"$token_file\""
		say "wrote the periodic token for ${addr:-the default address} to $token_file"
	fi
}

remove_units() {
	if [ "$timer" = 0 ]; then
		say "left the systemd units alone (--no-timer)"
		return
	fi
	local present=0 unit
	for unit in "$service_unit" "$timer_unit"; do
		if [ -e "$unit_dir/$unit" ] || [ -L "$unit_dir/$unit" ]; then
			present=1
		fi
	done
	if [ "$present" = 0 ]; then
		say "no systemd units in $unit_dir"
		return
	fi
	local reachable=0
	if systemd_reachable; then
		reachable=1
		systemctl_user disable --now "$timer_unit" ||
			die "could not disable $timer_unit (systemctl output above); run: systemctl --user disable --now $timer_unit"
		say "disabled and stopped $timer_unit"
	fi
	for unit in "$service_unit" "$timer_unit"; do
		rm -f -- "$unit_dir/$unit"
	done
	# What enable made; disable removes it when the manager is reachable.
	rm -f -- "$unit_dir/timers.target.wants/$timer_unit"
	rmdir -- "$unit_dir/timers.target.wants" 2>/dev/null || true
	say "removed $unit_dir/$service_unit and $timer_unit"
	if [ "$reachable" = 1 ]; then
		systemctl_user daemon-reload || die "systemctl --user daemon-reload failed (output above)"
	else
		say "no systemd user manager reachable; if it runs elsewhere, run: systemctl --user stop $timer_unit; systemctl --user daemon-reload"
	fi
}

unset_token_helper() {
	if [ ! -e "$vault_cfg" ]; then
		say "no $vault_cfg; nothing to change"
		return
	fi
	edit_vault_cfg unset
	if [ "$CHANGED" = 1 ]; then
		say "removed token_helper from $vault_cfg (backup: $BACKUP)"
		return
	fi
	local other
	other=$(other_token_helper)
	if [ -n "$other" ]; then
		say "left $vault_cfg alone: its token_helper is $other, not \"$helper_bin\""
	else
		say "$vault_cfg has no token_helper line"
	fi
}

remove_binaries() {
	local name
	for name in "$helper_name" "$full_name" "$renew_name"; do
		if [ -e "$bindir/$name" ] || [ -L "$bindir/$name" ]; then
			rm -f -- "$bindir/$name" || die "cannot remove \"$bindir/$name\""
			say "removed $bindir/$name"
		else
			say "no $bindir/$name"
		fi
	done
}

# ---- main -------------------------------------------------------------------

if [ "$uninstall" = 1 ]; then
	save_token
	remove_units
	unset_token_helper
	remove_binaries
	say "kept the config $helper_cfg and the token store $token_store; remove them by hand if you want them gone"
	exit 0
fi

build
write_config
set_token_helper
adopt_token
install_units
case ":${PATH:-}:" in
*":$bindir:"*) ;;
*) say "note: $bindir is not in PATH; the Vault CLI does not need it, but add it to run vault-token-helper status" ;;
esac
say "done: vault login now keeps a periodic token; check it with $helper_bin status"
