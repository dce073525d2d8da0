package disk

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fullState sets every field of the schema, so that a field Decode
// leaves out shows as a difference.
func fullState() State {
	at := time.Date(2026, 12, 4, 2, 5, 6, 789, time.FixedZone("", 3600))
	return State{
		Version:   1,
		Address:   "https://vault.example:8200",
		Namespace: "team/a",
		Current: &Token{
			Token: "hvs.CAESIJ3\u00e9\"\\/\n", Accessor: "acc1", DisplayName: "token-admin",
			Policies: []string{"admin", "default"}, IdentityPolicies: []string{"ops"},
			Source: SourceMinted, RequiredPolicy: "admin", Period: Duration(768*time.Hour + 1500*time.Microsecond),
			StoredAt: at, ExpireTime: at.Add(time.Hour),
			TLS: &TLS{CACert: "/ca.pem", CAPath: "/ca", ClientCert: "/c.pem", ClientKey: "/k.pem", TLSServerName: "vault", SkipVerify: true},
		},
		Pending: []Pending{
			{Accessor: "acc0", DisplayName: "old", Reason: "replaced", Since: at, Attempts: 3, LastError: "permission denied <x> & \u2028", RevokeAfter: at.Add(time.Minute), Token: "hvs.old"},
			{Accessor: "acc2", Reason: "erased", Since: at.UTC()},
		},
		Journal:   []Intent{{ID: "i1", Step: StepMinted, Accessor: "acc3", Started: at, PID: 4242}},
		LastRenew: &Renewal{Time: at, OK: true, Result: "renewed"},
		LastLogin: &Login{Time: at, Event: "MINTED", Accessor: "acc1"},
	}
}

// unmarshal is encoding/json's reading of data, the reference.
func unmarshal(data []byte) (State, error) {
	var st State
	err := json.Unmarshal(data, &st)
	return st, err
}

// Decode reads what package store writes (json.MarshalIndent), every
// field included, to the value that was written, as encoding/json does.
func TestDecodeReadsWhatEncodingJSONWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		st   State
	}{
		{"every field", fullState()},
		{"nothing stored", State{Version: 1, Address: "http://127.0.0.1:8200"}},
		{"empty lists", State{Version: 1, Address: "http://127.0.0.1:8200", Current: &Token{Token: "t", Policies: []string{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, marshal := range []func(any) ([]byte, error){json.Marshal, func(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }} {
				data, err := marshal(tt.st)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Decode("state.json", data)
				if err != nil {
					t.Fatalf("Decode(%s): %v", data, err)
				}
				want, err := unmarshal(data)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("Decode(%s)\n got %+v\nwant %+v (encoding/json)", data, got, want)
				}
				if tt.name == "every field" && !reflect.DeepEqual(got.Current, tt.st.Current) {
					t.Errorf("Decode: current got %+v, want %+v", got.Current, tt.st.Current)
				}
			}
		})
	}
}

// What Decode reads as encoding/json does although package store never
// writes it: escapes, white space, keys of no field.
func TestDecodeAgreesOnOtherSpellings(t *testing.T) {
	t.Parallel()
	tests := []string{
		`{"version":1,"address":"a","future_field":{"x":[1,2.5e-3,true,false,null,"\u00e9",{}]},"current":{"token":"\ud83d\ude00\t\u0041\/"}}`,
		" \r\n\t{ \"version\" : 1 , \"address\" : \"a\" } \n",
		`{"version":-0,"current":{"policies":[],"period":"1h2m","tls":{}}}`,
		`{"pending_revocations":[],"journal":[{"pid":7,"started":"2026-01-02T03:04:05Z"}]}`,
		`{}`,
	}
	for _, in := range tests {
		got, err := Decode("state.json", []byte(in))
		if err != nil {
			t.Errorf("Decode(%s): %v, want it read", in, err)
			continue
		}
		want, err := unmarshal([]byte(in))
		if err != nil {
			t.Fatalf("encoding/json refuses %s: %v", in, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%s)\n got %+v\nwant %+v (encoding/json)", in, got, want)
		}
	}
}

// What Decode refuses (ErrCorrupt, naming why); encoding/json refuses
// some of it and reads the rest, to a value a file of ours never holds.
func TestDecodeRefuses(t *testing.T) {
	t.Parallel()
	deep := `{"x":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "unexpected end"},
		{"cut short", `{"version":1,"address":"a`, "unexpected end"},
		{"cut after a key", `{"version"`, "unexpected end"},
		{"not an object", `["version",1]`, `'[' where '{'`},
		{"null", `null`, `'n' where '{'`},
		{"a null field", `{"current":null}`, `'n' where '{'`},
		{"a key twice", `{"current":{"token":"a","token":"b"}}`, `"token" given twice`},
		{"a key in another case", `{"current":{"Token":"b"}}`, `key "Token", not "token"`},
		{"a key folded by Unicode", "{\"current\":{\"\u017fource\":\"minted\"}}", `not "source"`},
		{"a fraction for an integer", `{"version":1.0}`, "1.0 is not an integer"},
		{"an exponent for an integer", `{"version":1e0}`, "is not an integer"},
		{"a string for an integer", `{"version":"1"}`, "where an integer belongs"},
		{"an integer too large", `{"version":99999999999999999999}`, "is not an integer"},
		{"a number for a string", `{"address":1}`, `'1' where '"' belongs`},
		{"a leading zero", `{"version":01}`, "after an object's value"},
		{"a lone surrogate", `{"address":"\ud800"}`, "lone surrogate"},
		{"invalid UTF-8", "{\"address\":\"\xff\"}", "not valid UTF-8"},
		{"a control character", "{\"address\":\"a\nb\"}", "control character"},
		{"an invalid escape", `{"address":"\x41"}`, `invalid escape`},
		{"a bad time", `{"last_renew":{"time":"yesterday"}}`, "parsing time"},
		{"a bad duration", `{"current":{"period":"forever"}}`, "invalid duration"},
		{"a bad literal", `{"last_renew":{"ok":yes}}`, "where true or false belongs"},
		{"a trailing comma", `{"version":1,}`, `'}' where '"' belongs`},
		{"data after the object", `{"version":1}{}`, "after the object"},
		{"a byte order mark", "\ufeff{}", "where '{' belongs"},
		{"nested too deep", deep, "nested deeper"},
		{"a newer version", `{"version":2}`, "newer than this tool"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st, err := Decode("/d/state.json", []byte(tt.in))
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Decode(%q) = %+v, %v; want ErrCorrupt saying %q", tt.in, st, err, tt.want)
			}
			if !strings.Contains(err.Error(), `"/d/state.json"`) || !reflect.DeepEqual(st, State{}) {
				t.Errorf("Decode(%q): got %+v, %v; want a zero State and an error naming the file", tt.in, st, err)
			}
		})
	}
}

// FuzzDecodeAgreesWithEncodingJSON: whatever Decode reads, encoding/json
// reads too, to the same State. (Decode may refuse more.)
func FuzzDecodeAgreesWithEncodingJSON(f *testing.F) {
	full, err := json.MarshalIndent(fullState(), "", "  ")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(full)
	f.Add([]byte(`{"version":1,"address":"a","x":[{"y":null}],"current":{"token":"\u00e9\ud83d\ude00"}}`))
	f.Add([]byte(`{"current":{"policies":[],"period":"1h"},"pending_revocations":[{"attempts":-3}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode("state.json", data)
		if err != nil {
			return
		}
		want, err := unmarshal(data)
		if err != nil {
			t.Fatalf("Decode read %q to %+v; encoding/json refuses it: %v", data, got, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Decode(%q)\n got %+v\nwant %+v (encoding/json)", data, got, want)
		}
	})
}

// Duration's own methods, which encoding/json calls: the string form
// both ways, µ included.
func TestDurationJSON(t *testing.T) {
	t.Parallel()
	for _, d := range []Duration{0, Duration(1500 * time.Nanosecond), Duration(768 * time.Hour), Duration(-time.Minute)} {
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if want := `"` + time.Duration(d).String() + `"`; string(b) != want {
			t.Errorf("json.Marshal(%v) = %s, want %s", time.Duration(d), b, want)
		}
		var got Duration
		if err := json.Unmarshal(b, &got); err != nil || got != d {
			t.Errorf("json.Unmarshal(%s) = %v, %v; want %v", b, time.Duration(got), err, time.Duration(d))
		}
	}
}
