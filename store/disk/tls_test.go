package disk

import (
	"encoding/json"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestTLSFromEnv(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the cases are unix paths")
	}
	t.Parallel()
	tests := []struct {
		name   string
		env    map[string]string
		want   TLS
		wantOK bool
	}{
		{"nothing set", nil, TLS{}, false},
		{"empty values count as unset", map[string]string{EnvCACert: "", EnvSkipVerify: ""}, TLS{}, false},
		{"absolute CA", map[string]string{EnvCACert: "/etc/vault/ca.pem"}, TLS{CACert: "/etc/vault/ca.pem"}, true},
		{"relative paths are made absolute", map[string]string{EnvCACert: "ca.pem", EnvCAPath: "certs", EnvClientCert: "../c.pem", EnvClientKey: "k.pem"},
			TLS{CACert: "/work/ca.pem", CAPath: "/work/certs", ClientCert: "/c.pem", ClientKey: "/work/k.pem"}, true},
		{"server name", map[string]string{EnvTLSServerName: "vault.internal"}, TLS{TLSServerName: "vault.internal"}, true},
		{"skip verify", map[string]string{EnvSkipVerify: "1"}, TLS{SkipVerify: true}, true},
		{"skip verify false is still a setting", map[string]string{EnvSkipVerify: "false"}, TLS{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := TLSFromEnv(func(k string) string { return tt.env[k] }, "/work")
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("got %+v, %v; want %+v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// The record holds paths and flags under stable JSON names, and Vars
// shows them as the variables a person would set.
func TestTLSRecord(t *testing.T) {
	t.Parallel()
	tls := TLS{CACert: "/ca.pem", ClientCert: "/c.pem", ClientKey: "/k.pem", TLSServerName: "v", SkipVerify: true}
	b, err := json.Marshal(Token{Token: "x", Source: SourceMinted, TLS: &tls})
	if err != nil {
		t.Fatal(err)
	}
	want := `"tls":{"ca_cert":"/ca.pem","client_cert":"/c.pem","client_key":"/k.pem","tls_server_name":"v","skip_verify":true}`
	if !strings.Contains(string(b), want) {
		t.Errorf("got %s, want it to contain %s", b, want)
	}
	var back Token
	if err := json.Unmarshal(b, &back); err != nil || back.TLS == nil || *back.TLS != tls {
		t.Errorf("round trip: got %+v (%v), want %+v", back.TLS, err, tls)
	}
	gotVars := tls.Vars()
	wantVars := []string{"VAULT_CACERT=/ca.pem", "VAULT_CLIENT_CERT=/c.pem", "VAULT_CLIENT_KEY=/k.pem", "VAULT_TLS_SERVER_NAME=v", "VAULT_SKIP_VERIFY=true"}
	if !reflect.DeepEqual(gotVars, wantVars) {
		t.Errorf("Vars: got %q, want %q", gotVars, wantVars)
	}
	if b, _ := json.Marshal(Token{Token: "x"}); strings.Contains(string(b), "tls") {
		t.Errorf("a token without TLS settings: got %s, want no tls key", b)
	}
}
