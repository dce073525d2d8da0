package disk

import (
	"path/filepath"
	"strconv"
)

// TLS environment variables, as the Vault CLI and vault/api read them.
const (
	EnvCACert        = "VAULT_CACERT"
	EnvCAPath        = "VAULT_CAPATH"
	EnvClientCert    = "VAULT_CLIENT_CERT"
	EnvClientKey     = "VAULT_CLIENT_KEY"
	EnvTLSServerName = "VAULT_TLS_SERVER_NAME"
	EnvSkipVerify    = "VAULT_SKIP_VERIFY"
)

// TLSEnv are the client TLS variables, in the order they are shown.
var TLSEnv = []string{EnvCACert, EnvCAPath, EnvClientCert, EnvClientKey, EnvTLSServerName, EnvSkipVerify}

// TLS is the client TLS settings a command used to reach a Vault: file
// and directory paths and flags, never the content of a file (a client
// key stays where the user keeps it). It is recorded with the token, so
// that renew, status and erase reach the same Vault the same way when
// their own environment says nothing about TLS.
type TLS struct {
	CACert        string `json:"ca_cert,omitempty"`
	CAPath        string `json:"ca_path,omitempty"`
	ClientCert    string `json:"client_cert,omitempty"`
	ClientKey     string `json:"client_key,omitempty"`
	TLSServerName string `json:"tls_server_name,omitempty"`
	SkipVerify    bool   `json:"skip_verify,omitempty"`
}

// TLSFromEnv reads the TLS variables through getenv. Relative paths are
// made absolute against dir (the working directory of the command), so
// that a later run from elsewhere finds the same files. ok is false when
// none of the variables is set (set to an empty value counts as unset,
// as in vault/api).
func TLSFromEnv(getenv func(string) string, dir string) (t TLS, ok bool) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) || dir == "" {
			return p
		}
		return filepath.Join(dir, p)
	}
	t = TLS{
		CACert:        abs(getenv(EnvCACert)),
		CAPath:        abs(getenv(EnvCAPath)),
		ClientCert:    abs(getenv(EnvClientCert)),
		ClientKey:     abs(getenv(EnvClientKey)),
		TLSServerName: getenv(EnvTLSServerName),
	}
	if v := getenv(EnvSkipVerify); v != "" {
		ok = true
		// vault/api refuses a value that is not a boolean, so a command
		// with one never gets to store a token.
		b, err := strconv.ParseBool(v)
		t.SkipVerify = err == nil && b
	}
	return t, ok || !t.IsZero()
}

// IsZero reports whether no setting is recorded.
func (t TLS) IsZero() bool { return t == TLS{} }

// Vars are the settings as VAULT_* variable assignments, in TLSEnv order.
func (t TLS) Vars() []string {
	var out []string
	add := func(k, v string) {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	add(EnvCACert, t.CACert)
	add(EnvCAPath, t.CAPath)
	add(EnvClientCert, t.ClientCert)
	add(EnvClientKey, t.ClientKey)
	add(EnvTLSServerName, t.TLSServerName)
	if t.SkipVerify {
		out = append(out, EnvSkipVerify+"=true")
	}
	return out
}
