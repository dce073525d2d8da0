package front

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// LazyOffName is the marker file, in the data directory, that turns the
// lazy renew of get off. get never reads the configuration (that costs
// a parse on every vault command), so the commands that do read it
// (vault-token-renew, store, setup) record `lazy_renew = false` as this
// file and remove it when lazy_renew is true or unset (SyncLazyMarker in
// package helper). get looks for it only when a renew is due.
const LazyOffName = "lazy-renew-off"

// LazyRenewOn reports whether get may start a background renew for the
// store under dataDir: true unless the marker file is there. Status and
// doctor use it to tell whether the safety net is on.
func LazyRenewOn(dataDir string) bool {
	_, err := os.Lstat(filepath.Join(dataDir, LazyOffName))
	return errors.Is(err, fs.ErrNotExist)
}
