package setup

// The commented configuration setup writes when there is none.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

func (r *run) writeConfig(context.Context) error {
	p := r.env.Paths.Config
	if _, err := os.Lstat(p); err == nil {
		r.say("kept the existing config %s", p)
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return r.fail("%q: %w", p, err)
	}
	raw, _, err := r.env.Tool.Addr()
	if err != nil {
		raw = ""
	}
	line := "mirror_address = " + hclQuote(raw)
	text := DefaultConfigText(line)
	note := "mirror_address " + raw
	if raw == "" {
		text = DefaultConfigText("# mirror_address = \"https://vault.example.com:8200\"")
		note = "mirror_address unset: no address is set, so the only stored address is mirrored"
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return r.fail("create the directory of %q: %w", p, err)
	}
	check := func(text string) error {
		// A new file under a random name (O_EXCL): nothing planted at a
		// known name is ever written through or blocks the write.
		f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".check-*")
		if err != nil {
			return err
		}
		defer os.Remove(f.Name())
		_, werr := f.WriteString(text)
		if err := errors.Join(werr, f.Close()); err != nil {
			return err
		}
		return r.env.Tool.CheckConfig(f.Name())
	}
	if err := check(text); err != nil {
		if raw == "" {
			return r.fail("the default config does not parse (%v); this is a bug in setup", err)
		}
		fmt.Fprintf(r.errOut, "vault-token-helper setup: warning: %q is not a Vault address like https://vault.example.com:8200; the config leaves mirror_address unset\n", raw)
		text = DefaultConfigText("# " + line)
		note = "mirror_address unset"
		if err := check(text); err != nil {
			return r.fail("the default config does not parse (%v); this is a bug in setup", err)
		}
	}
	if err := writeNew(p, []byte(text)); err != nil {
		return r.fail("cannot write %q: %w", p, err)
	}
	r.say("wrote the default config %s (%s)", p, note)
	return nil
}

// writeNew writes a new private file atomically, never over one that
// appeared meanwhile: disk.WriteFile.
func writeNew(path string, data []byte) error {
	return disk.WriteFile(path, data, disk.WriteOptions{NoReplace: true})
}

// DefaultConfigText is the commented configuration setup writes, with
// the mirror_address line given.
func DefaultConfigText(mirrorLine string) string {
	return `# vault-token-helper configuration, written by vault-token-helper setup.
# Edit freely: setup never overwrites this file. Unknown keys are errors.

# ~/.vault-token mirrors the periodic token of this address, for tools that
# read the file directly (sops, consul-template, envconsul...).
mirror = true
` + mirrorLine + `

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
`
}
