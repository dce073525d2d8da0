#!/usr/bin/env bash
# sweep.sh: the old bash renewer's sweep of stale tokens, kept only to be
# measured next to vault-token-helper (see docs/performance.md).
#
# It lists every accessor in Vault, looks each one up with its own
# `vault token lookup -accessor`, and revokes the tokens that carry our
# display name and are not the current token: one vault process per
# token anyone has, so its cost grows with the whole Vault.
#
# It runs in the user's session as the old renewer did: VAULT_ADDR set,
# the token in ~/.vault-token (the CLI's built-in helper).
#
# Environment:
#   VAULT         the vault binary (default: vault on PATH)
#   DISPLAY_NAME  the display name of our tokens, as Vault shows it (token-bench)
#   SWEEP_BUDGET  stop looking up after this many seconds (0: no limit)
#
# Prints one line: total=N looked=N revoked=N complete=yes|no
set -euo pipefail

vault=${VAULT:-vault}
display=${DISPLAY_NAME:?set DISPLAY_NAME to the display name of our tokens}
budget=${SWEEP_BUDGET:-0}
SECONDS=0

# field KEY: the value of KEY in `vault token lookup` table output.
field() { awk -v k="$1" '$1 == k { print $2; exit }'; }

current=$("$vault" token lookup | field accessor)
# `vault list` prints "Keys", a rule, then one accessor per line.
mapfile -t accessors < <("$vault" list auth/token/accessors | tail -n +3)

looked=0
revoked=0
complete=yes
for acc in "${accessors[@]}"; do
	if ((budget > 0 && SECONDS >= budget)); then
		complete=no
		break
	fi
	# A token revoked or expired since the list is not an error.
	name=$("$vault" token lookup -accessor "$acc" 2>/dev/null | field display_name) || true
	looked=$((looked + 1))
	if [[ $name == "$display" && $acc != "$current" ]]; then
		"$vault" token revoke -accessor "$acc" >/dev/null
		revoked=$((revoked + 1))
	fi
done
echo "total=${#accessors[@]} looked=$looked revoked=$revoked complete=$complete"
