package heal

// Events: the one vocabulary of the log (msg=EVENT) and of the lines of
// vault-token-renew. Each event has one name, written in both places;
// docs/runbook.md says what each means and what to do.
const (
	// Store, adopt and erase.
	EventMinted = "MINTED"
	// EventKept: a login kept the valid periodic token that still matches
	// the configuration (renewed it; nothing minted, nothing revoked).
	EventKept = "KEPT"
	// EventRotating: the stored token no longer matches the configuration;
	// the login mints its successor (MINTED follows).
	EventRotating = "ROTATING"
	// EventSpared: the revocation guard kept a token another local address
	// holds.
	EventSpared      = "SPARED"
	EventAdopted     = "ADOPTED"
	EventUnchanged   = "UNCHANGED"
	EventRefused     = "REFUSED"
	EventPassthrough = "PASSTHROUGH"
	EventErased      = "ERASED"
	EventRevoked     = "REVOKED"
	EventRecovered   = "RECOVERED"
	EventMirrored    = "MIRRORED"

	// Renew. A renewal is OK on renew's output and in the log alike.
	EventRenewed = "OK"
	EventDrift   = "DRIFT"
	EventHealed  = "HEALED"
	EventScan    = "SCAN"
	EventSkip    = "SKIP"
	EventDryRun  = "DRY-RUN"

	// Every command.
	EventError = "ERROR"
	EventWarn  = "WARN"
	// EventVault is one Vault call, logged at debug level.
	EventVault = "VAULT"
)

// RenewEvents are the events a renew line can start with, in the order
// its usage lists them.
var RenewEvents = []string{EventRenewed, EventRevoked, EventSpared, EventHealed, EventDrift, EventError, EventWarn, EventScan, EventSkip, EventDryRun}
