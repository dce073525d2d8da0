package helper

// Which stored address ~/.vault-token mirrors (mirror_address).

import (
	"slices"

	"github.com/vault-token-helper/vault-token-helper/store"
)

// mirrorKey is the address whose periodic token ~/.vault-token mirrors:
// mirror_address from the config (in whatever namespace it is stored; the
// root namespace when it is stored in several), or else the only address
// with a stored token (current, the one being worked on, when none has
// one yet). A stored address written exactly as mirror_address wins;
// without one, an address matches under another spelling of the same
// socket (store.SameServer: localhost and 127.0.0.1, nothing else). When
// several spellings match and none is exact, none is picked (see
// mirrorAmbiguous). The zero Key means none.
func mirrorKey(cfg *Config, states []store.State, current store.Key) store.Key {
	k, _ := mirrorMatch(cfg, states, current)
	return k
}

// mirrorAmbiguous returns the stored addresses that all match
// mirror_address under other spellings than its own, when there are
// several: then ~/.vault-token mirrors none of them. Empty otherwise.
func mirrorAmbiguous(cfg *Config, states []store.State) []string {
	_, amb := mirrorMatch(cfg, states, store.Key{})
	return amb
}

func mirrorMatch(cfg *Config, states []store.State, current store.Key) (store.Key, []string) {
	if !cfg.Mirror {
		return store.Key{}, nil
	}
	var stored []store.Key
	for _, st := range states {
		if st.Current != nil {
			stored = append(stored, st.Key())
		}
	}
	if cfg.MirrorAddress != "" {
		var exact, alias []store.Key
		var spellings []string
		for _, k := range stored {
			switch {
			case k.Addr == cfg.MirrorAddress:
				exact = append(exact, k)
			case store.SameServer(k.Addr, cfg.MirrorAddress):
				alias = append(alias, k)
				if !slices.Contains(spellings, k.Addr) {
					spellings = append(spellings, k.Addr)
				}
			}
		}
		matching := exact
		if len(exact) == 0 {
			if len(spellings) > 1 {
				// Never pick one by the order of the store's directory.
				slices.Sort(spellings)
				return store.Key{}, spellings
			}
			matching = alias
		}
		switch len(matching) {
		case 0:
			if current.Addr != "" && store.SameServer(current.Addr, cfg.MirrorAddress) {
				return current, nil
			}
			return store.Key{Addr: cfg.MirrorAddress}, nil
		case 1:
			return matching[0], nil
		}
		for _, k := range matching {
			if k.Namespace == "" {
				return k, nil
			}
		}
		return store.Key{}, nil
	}
	switch len(stored) {
	case 0:
		return current, nil
	case 1:
		return stored[0], nil
	}
	return store.Key{}, nil
}

// storedMirrorKey is mirrorKey for commands that work on every stored
// address (renew, status): the current key is the store's only one.
func storedMirrorKey(cfg *Config, states []store.State) store.Key {
	var only store.Key
	if len(states) == 1 {
		only = states[0].Key()
	}
	return mirrorKey(cfg, states, only)
}
