package fakevault

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/vault-token-helper/vault-token-helper/heal"
)

// Handler serves the fake over Vault's HTTP API: the token endpoints
// heal.APIVault calls, answered as Vault answers them. A fault with no
// HTTP answer (unavailable, outcome unknown) closes the connection.
func (v *Vault) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/auth/token/lookup-self", func(w http.ResponseWriter, r *http.Request) {
		info, err := v.LookupSelf(r.Context(), token(r))
		answer(w, map[string]any{"data": infoJSON(info)}, err)
	})
	mux.HandleFunc("/v1/auth/token/lookup-accessor", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Accessor string }
		if !decode(w, r, &body) {
			return
		}
		info, err := v.LookupAccessor(r.Context(), token(r), body.Accessor)
		answer(w, map[string]any{"data": infoJSON(info)}, err)
	})
	mux.HandleFunc("/v1/auth/token/create-orphan", v.serveCreateOrphan)
	mux.HandleFunc("/v1/auth/token/renew-self", v.serveRenewSelf)
	mux.HandleFunc("/v1/auth/token/revoke-self", func(w http.ResponseWriter, r *http.Request) {
		answer(w, nil, v.RevokeSelf(r.Context(), token(r)))
	})
	mux.HandleFunc("/v1/auth/token/revoke-accessor", func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Accessor string }
		if !decode(w, r, &body) {
			return
		}
		answer(w, nil, v.RevokeAccessor(r.Context(), token(r), body.Accessor))
	})
	mux.HandleFunc("/v1/auth/token/accessors", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "LIST" && r.URL.Query().Get("list") != "true" {
			vaultError(w, http.StatusMethodNotAllowed, "unsupported operation")
			return
		}
		accs, err := v.ListAccessors(r.Context(), token(r))
		answer(w, map[string]any{"data": map[string]any{"keys": accs}}, err)
	})
	mux.HandleFunc("/v1/sys/capabilities-self", v.serveCapabilities)
	return mux
}

func (v *Vault) serveCreateOrphan(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Policies    []string          `json:"policies"`
		Period      string            `json:"period"`
		DisplayName string            `json:"display_name"`
		Meta        map[string]string `json:"meta"`
	}
	if !decode(w, r, &body) {
		return
	}
	req := heal.MintRequest{Policies: body.Policies, DisplayName: body.DisplayName, Meta: body.Meta}
	if body.Period != "" {
		d, err := time.ParseDuration(body.Period)
		if err != nil {
			vaultError(w, http.StatusBadRequest, err.Error())
			return
		}
		req.Period = d
	}
	m, err := v.CreateOrphan(r.Context(), token(r), req)
	answer(w, map[string]any{"auth": map[string]any{"client_token": m.Token, "accessor": m.Accessor, "renewable": true,
		"lease_duration": int64(req.Period.Seconds())}}, err)
}

func (v *Vault) serveRenewSelf(w http.ResponseWriter, r *http.Request) {
	var body struct{ Increment string }
	if !decode(w, r, &body) {
		return
	}
	var inc time.Duration
	if body.Increment != "" {
		d, err := time.ParseDuration(body.Increment)
		if err != nil {
			vaultError(w, http.StatusBadRequest, err.Error())
			return
		}
		inc = d
	}
	ttl, err := v.RenewSelf(r.Context(), token(r), inc)
	answer(w, map[string]any{"auth": map[string]any{"lease_duration": int64(ttl.Seconds()), "renewable": true}}, err)
}

func (v *Vault) serveCapabilities(w http.ResponseWriter, r *http.Request) {
	var body struct{ Paths []string }
	if !decode(w, r, &body) {
		return
	}
	can, err := v.CanMint(r.Context(), token(r))
	caps := []string{"deny"}
	if can {
		caps = []string{"sudo", "update"}
	}
	answer(w, map[string]any{"data": map[string]any{pathCreateOrphan: caps, "capabilities": caps}}, err)
}

func token(r *http.Request) string { return r.Header.Get("X-Vault-Token") }

func decode(w http.ResponseWriter, r *http.Request, into any) bool {
	if r.Body == nil || r.ContentLength == 0 {
		return true
	}
	if err := json.NewDecoder(r.Body).Decode(into); err != nil {
		vaultError(w, http.StatusBadRequest, "error parsing JSON")
		return false
	}
	return true
}

// answer writes body, or the error as Vault would have answered it.
func answer(w http.ResponseWriter, body any, err error) {
	var ve *heal.VaultError
	switch {
	case err == nil && body == nil:
		w.WriteHeader(http.StatusNoContent)
	case err == nil:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(body) // a client gone away is no concern of the fake
	case errors.As(err, &ve) && ve.Status != 0:
		vaultError(w, ve.Status, ve.Detail)
	default:
		// No answer at all: drop the connection.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, herr := hj.Hijack(); herr == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
}

func vaultError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []string{msg}})
}

func infoJSON(i heal.TokenInfo) map[string]any {
	d := map[string]any{
		"accessor":     i.Accessor,
		"display_name": i.DisplayName,
		"policies":     i.Policies,
		"period":       int64(i.Period.Seconds()),
		"ttl":          int64(i.TTL.Seconds()),
		"orphan":       i.Orphan,
		"renewable":    i.Renewable,
		"path":         i.Path,
		"type":         i.Type,
		"meta":         nil,
		"expire_time":  nil,
	}
	if len(i.IdentityPolicies) > 0 {
		d["identity_policies"] = i.IdentityPolicies
	}
	if len(i.Meta) > 0 {
		d["meta"] = i.Meta
	}
	if !i.ExpireTime.IsZero() {
		d["expire_time"] = i.ExpireTime.Format(time.RFC3339Nano)
	}
	return d
}
