package helper

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vault-token-helper/vault-token-helper/helper/front"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// lazyOffText is the content of the marker file, for whoever finds it.
const lazyOffText = "lazy_renew = false in the configuration: get starts no background renew.\n" +
	"Written and removed by vault-token-helper and vault-token-renew; edit the configuration, not this file.\n"

// SyncLazyMarker records cfg's lazy_renew for get, which never reads the
// configuration: the marker file front.LazyOffName in the data directory
// exists exactly when lazy_renew = false. Every command that loads the
// configuration for an address (store, erase, adopt, setup's
// keep) and vault-token-renew call it. Best effort: a failure only
// leaves the previous setting in force until the next command.
func SyncLazyMarker(env Env, cfg *Config) error {
	p := filepath.Join(env.Paths.Data, front.LazyOffName)
	if cfg.LazyRenew {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	}
	if _, err := os.Lstat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(env.Paths.Data, 0o700); err != nil {
		return err
	}
	return disk.WriteFileAtomic(p, []byte(lazyOffText))
}
