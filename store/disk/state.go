package disk

import (
	"slices"
	"time"
)

// StateVersion is written into every state file; a newer one is refused.
const StateVersion = 1

// MaxStateSize bounds what is read from a state file.
const MaxStateSize = 1 << 20

// Source says how the current token came to be stored.
type Source string

const (
	// SourceMinted: this tool minted the periodic token.
	SourceMinted Source = "minted"
	// SourceAdopted: a periodic token of ours that someone else minted.
	SourceAdopted Source = "adopted"
	// SourcePassthrough: a login token kept as it is, because it could not
	// mint and no valid periodic token was stored.
	SourcePassthrough Source = "passthrough"
)

// Periodic reports whether a token from this source is one of ours.
func (s Source) Periodic() bool { return s == SourceMinted || s == SourceAdopted }

// Token is the token stored for an address and what Vault said about it
// when it was stored.
type Token struct {
	Token       string   `json:"token"`
	Accessor    string   `json:"accessor,omitempty"`
	DisplayName string   `json:"display_name,omitempty"`
	Policies    []string `json:"policies,omitempty"`
	// IdentityPolicies are those the token's entity and groups grant.
	IdentityPolicies []string  `json:"identity_policies,omitempty"`
	Source           Source    `json:"source"`
	RequiredPolicy   string    `json:"required_policy,omitempty"`
	Period           Duration  `json:"period,omitempty"`
	StoredAt         time.Time `json:"stored_at"`
	ExpireTime       time.Time `json:"expire_time,omitzero"`
	// TLS is what the storing command set of the VAULT_* client TLS
	// variables (nil: none); see TLS.
	TLS *TLS `json:"tls,omitempty"`
}

// Pending is a token this tool means to revoke: a periodic token that
// was replaced, erased or minted and never stored.
type Pending struct {
	Accessor    string    `json:"accessor"`
	DisplayName string    `json:"display_name,omitempty"`
	Reason      string    `json:"reason"`
	Since       time.Time `json:"since"`
	Attempts    int       `json:"attempts,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	// RevokeAfter is the end of the grace of a replaced token: no sweep
	// revokes it before. Zero: at the next sweep.
	RevokeAfter time.Time `json:"revoke_after,omitzero"`
	// Token is the token itself, kept only so that it can revoke itself:
	// one erased while Vault did not answer, which nothing else stored
	// may have the authority to revoke. It is never used for anything
	// else, never printed, and goes with the entry.
	Token string `json:"token,omitempty"`
}

// Due reports whether p may be revoked at now (its grace is over).
func (p Pending) Due(now time.Time) bool { return !now.Before(p.RevokeAfter) }

// Intent steps, in the order a mint goes through them.
const (
	// StepMinting: recorded before the mint request; the outcome is not
	// known. The token, if any, carries the intent ID in its metadata.
	StepMinting = "minting"
	// StepMinted: Vault answered with a token; its accessor is recorded.
	StepMinted = "minted"
)

// Intent is one journal entry: a mint in progress.
type Intent struct {
	ID       string    `json:"id"`
	Step     string    `json:"step"`
	Accessor string    `json:"accessor,omitempty"`
	Started  time.Time `json:"started"`
	PID      int       `json:"pid"`
}

// Renewal is the outcome of the last renew run for an address.
type Renewal struct {
	Time   time.Time `json:"time"`
	OK     bool      `json:"ok"`
	Result string    `json:"result"`
}

// Login is what the last login that changed or kept the stored token
// did, for status: the event (MINTED, KEPT, ADOPTED, PASSTHROUGH), when,
// and the token it left stored.
type Login struct {
	Time     time.Time `json:"time"`
	Event    string    `json:"event"`
	Accessor string    `json:"accessor,omitempty"`
}

// State is everything stored for one address.
type State struct {
	Version   int       `json:"version"`
	Address   string    `json:"address"`
	Namespace string    `json:"namespace,omitempty"`
	Current   *Token    `json:"current,omitempty"`
	Pending   []Pending `json:"pending_revocations,omitempty"`
	Journal   []Intent  `json:"journal,omitempty"`
	LastRenew *Renewal  `json:"last_renew,omitempty"`
	LastLogin *Login    `json:"last_login,omitempty"`
}

// Key returns the key the state belongs to.
func (s State) Key() Key { return Key{Addr: s.Address, Namespace: s.Namespace} }

// AddPending records accessor for revocation unless it is already
// pending or empty.
func (s *State) AddPending(p Pending) {
	if p.Accessor == "" || slices.ContainsFunc(s.Pending, func(q Pending) bool { return q.Accessor == p.Accessor }) {
		return
	}
	s.Pending = append(s.Pending, p)
}

// Duration is a time.Duration stored as a Go duration string.
type Duration time.Duration

// MarshalJSON writes the duration as "768h0m0s": a JSON string whose
// characters (digits, '.', '-', units, µ) need no escape.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// UnmarshalJSON reads a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	s, err := decodeString(b)
	if err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}
