package front

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vault-token-helper/vault-token-helper/helper/names"
	"github.com/vault-token-helper/vault-token-helper/store/disk"
)

// The lazy renew of get: a safety net for a scheduler that did not run
// (a laptop asleep at night, a container without systemd). get stays
// local and prints the token at once; when the stored token looks
// neglected (LazyDue), it also starts vault-token-renew --address ADDR
// in the background, at most once an hour per address, fully detached:
// its own session, /dev/null for stdin, stdout and stderr, no other
// descriptor (every one above stderr is marked close-on-exec first). The renew logs to the
// tool's log as any renew does; its outcome never reaches get.
//
// Decisions (docs/design.md, "Lazy renew"):
//   - When nothing is due get does no extra system call: the due check
//     reads the state file get reads anyway.
//   - get never reads the configuration: `lazy_renew = false` is
//     recorded by the commands that do read it as the marker file
//     LazyOffName in the data directory (helper.SyncLazyMarker), looked
//     for only when a renew is due.
//   - "Once an hour" is a timestamp file, LazyStampName, next to the
//     address's state.json, read with disk.ReadPrivateFile and written
//     with disk.WriteFileAtomic before the renew starts. Two gets in the
//     same instant may both start one; the address's lock serializes them.

// LazyOffName is the marker file, in the data directory, that turns the
// lazy renew of get off. get never reads the configuration (that costs
// a parse on every vault command), so the commands that do read it
// (vault-token-renew, store, erase, adopt, setup) record
// `lazy_renew = false` as this file and remove it when lazy_renew is
// true or unset (helper.SyncLazyMarker).
const LazyOffName = "lazy-renew-off"

// LazyStampName is the file, next to an address's state.json, that holds
// the Unix time of the last lazy renew get started for it.
const LazyStampName = "lazy-renew"

// LazyInterval is the least time between two lazy renews of an address.
const LazyInterval = time.Hour

// LazyStale is the age of the last successful renew (or of the store,
// when there was none) beyond which get starts a renew.
const LazyStale = 48 * time.Hour

// RenewName is the usual name of the binary the lazy renew starts, next
// to the front (names.Of finds it by the front's own name).
const RenewName = names.Renew

// LazyRenewOn reports whether get may start a background renew for the
// store under dataDir: true unless the marker file is there. Status and
// doctor use it to tell whether the safety net is on.
func LazyRenewOn(dataDir string) bool {
	_, err := os.Lstat(filepath.Join(dataDir, LazyOffName))
	return errors.Is(err, fs.ErrNotExist)
}

// LazyDue reports whether the periodic token stored in st needs a renew
// that no scheduler seems to have done: its recorded expiry is closer
// than half its period, or its last successful renew (its store, when
// none succeeded since) is older than LazyStale. Only periodic tokens of
// ours are renewed; nothing stored is never due.
func LazyDue(st disk.State, now time.Time) bool {
	cur := st.Current
	if cur == nil || !cur.Source.Periodic() || cur.Period <= 0 {
		return false
	}
	if !cur.ExpireTime.IsZero() && cur.ExpireTime.Sub(now) < time.Duration(cur.Period)/2 {
		return true
	}
	last := cur.StoredAt
	if r := st.LastRenew; r != nil && r.OK && r.Time.After(last) {
		last = r.Time
	}
	return now.Sub(last) > LazyStale
}

// Starter starts the renew of an address; StartDetached in production.
type Starter func(renew string, addr string) error

// MaybeLazyRenew starts a background renew of k when st is due, the
// safety net is on and none was started in the last LazyInterval. It
// reports whether it started one. It never fails get: every error means
// "not now".
func MaybeLazyRenew(dataDir string, n disk.Namer, k disk.Key, st disk.State, now time.Time, renew string, start Starter) bool {
	if !LazyDue(st, now) || !LazyRenewOn(dataDir) {
		return false
	}
	statePath, err := disk.StatePath(dataDir, n, k)
	if err != nil {
		return false
	}
	stamp := filepath.Join(filepath.Dir(statePath), LazyStampName)
	b, err := disk.ReadPrivateFile(stamp, os.Geteuid(), 64)
	switch {
	case err == nil:
		if sec, perr := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); perr == nil {
			if t := time.Unix(sec, 0); now.Sub(t) < LazyInterval && !t.After(now.Add(time.Minute)) {
				return false
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return false // an unsafe stamp: renew and status report the store's problems
	}
	if disk.WriteFileAtomic(stamp, []byte(strconv.FormatInt(now.Unix(), 10)+"\n")) != nil {
		return false // without the stamp, every get would start one
	}
	return start(renew, k.Addr) == nil
}

// StartDetached starts `renew --address addr` in its own session with
// /dev/null as stdin, stdout and stderr and no other descriptor, and
// does not wait for it.
func StartDetached(renew, addr string) error {
	_, err := startDetached(renew, addr)
	return err
}

// startDetached (lazy_unix.go, lazy_windows.go) starts renew --address
// addr detached and returns its pid.
