package disk

import (
	"net"
	"testing"
)

// dialHost writes an IP literal as net.ParseIP and net.IP.String do (the
// rule it had before it dropped package net, which get does not link).
func TestDialHostWritesIPsAsPackageNet(t *testing.T) {
	t.Parallel()
	for _, host := range []string{
		"127.0.0.1", "::1", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "::FFFF:7f00:1", "fe80::a%eth0",
		"FE80::A", "2001:db8:0:0:1:0:0:1", "::", "0.0.0.0", "127.000.0.1", "1.2.3", "::ffff:1.2.3.4%1",
		"64:ff9b::1.2.3.4", "vault.example", "1::", "::1:2:3:4:5:6:7",
	} {
		want := host
		if ip := net.ParseIP(host); ip != nil {
			want = ip.String()
		}
		got, err := Namer{}.dialHost(host)
		if err != nil || got != want {
			t.Errorf("dialHost(%q) = %q, %v; want %q", host, got, err, want)
		}
	}
}
