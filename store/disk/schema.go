package disk

// The State schema as Decode reads it: one function per type, each
// field under its JSON name, the struct tag of state.go and tls.go by
// which encoding/json writes it (TestDecodeReadsWhatEncodingJSONWrites
// fails for a field left out here).

func (d *decoder) state(st *State) error {
	return d.object([]string{"version", "address", "namespace", "current", "pending_revocations", "journal", "last_renew", "last_login"}, func(key string) error {
		switch key {
		case "version":
			return d.int(&st.Version)
		case "address":
			return d.str(&st.Address)
		case "namespace":
			return d.str(&st.Namespace)
		case "current":
			st.Current = new(Token)
			return d.token(st.Current)
		case "pending_revocations":
			st.Pending = []Pending{}
			return d.array(func() error {
				st.Pending = append(st.Pending, Pending{})
				return d.pending(&st.Pending[len(st.Pending)-1])
			})
		case "journal":
			st.Journal = []Intent{}
			return d.array(func() error {
				st.Journal = append(st.Journal, Intent{})
				return d.intent(&st.Journal[len(st.Journal)-1])
			})
		case "last_renew":
			st.LastRenew = new(Renewal)
			return d.renewal(st.LastRenew)
		default: // "last_login"
			st.LastLogin = new(Login)
			return d.login(st.LastLogin)
		}
	})
}

func (d *decoder) token(t *Token) error {
	return d.object([]string{"token", "accessor", "display_name", "policies", "identity_policies", "source", "required_policy", "period", "stored_at", "expire_time", "tls"}, func(key string) error {
		switch key {
		case "token":
			return d.str(&t.Token)
		case "accessor":
			return d.str(&t.Accessor)
		case "display_name":
			return d.str(&t.DisplayName)
		case "policies":
			return d.strs(&t.Policies)
		case "identity_policies":
			return d.strs(&t.IdentityPolicies)
		case "source":
			return d.str((*string)(&t.Source))
		case "required_policy":
			return d.str(&t.RequiredPolicy)
		case "period":
			return d.unmarshaler(&t.Period)
		case "stored_at":
			return d.time(&t.StoredAt)
		case "expire_time":
			return d.time(&t.ExpireTime)
		default: // "tls"
			t.TLS = new(TLS)
			return d.tls(t.TLS)
		}
	})
}

func (d *decoder) tls(t *TLS) error {
	return d.object([]string{"ca_cert", "ca_path", "client_cert", "client_key", "tls_server_name", "skip_verify"}, func(key string) error {
		switch key {
		case "ca_cert":
			return d.str(&t.CACert)
		case "ca_path":
			return d.str(&t.CAPath)
		case "client_cert":
			return d.str(&t.ClientCert)
		case "client_key":
			return d.str(&t.ClientKey)
		case "tls_server_name":
			return d.str(&t.TLSServerName)
		default: // "skip_verify"
			return d.bool(&t.SkipVerify)
		}
	})
}

func (d *decoder) pending(p *Pending) error {
	return d.object([]string{"accessor", "display_name", "reason", "since", "attempts", "last_error", "revoke_after", "token"}, func(key string) error {
		switch key {
		case "accessor":
			return d.str(&p.Accessor)
		case "display_name":
			return d.str(&p.DisplayName)
		case "reason":
			return d.str(&p.Reason)
		case "since":
			return d.time(&p.Since)
		case "attempts":
			return d.int(&p.Attempts)
		case "last_error":
			return d.str(&p.LastError)
		case "revoke_after":
			return d.time(&p.RevokeAfter)
		default: // "token"
			return d.str(&p.Token)
		}
	})
}

func (d *decoder) intent(in *Intent) error {
	return d.object([]string{"id", "step", "accessor", "started", "pid"}, func(key string) error {
		switch key {
		case "id":
			return d.str(&in.ID)
		case "step":
			return d.str(&in.Step)
		case "accessor":
			return d.str(&in.Accessor)
		case "started":
			return d.time(&in.Started)
		default: // "pid"
			return d.int(&in.PID)
		}
	})
}

func (d *decoder) renewal(r *Renewal) error {
	return d.object([]string{"time", "ok", "result"}, func(key string) error {
		switch key {
		case "time":
			return d.time(&r.Time)
		case "ok":
			return d.bool(&r.OK)
		default: // "result"
			return d.str(&r.Result)
		}
	})
}

func (d *decoder) login(l *Login) error {
	return d.object([]string{"time", "event", "accessor"}, func(key string) error {
		switch key {
		case "time":
			return d.time(&l.Time)
		case "event":
			return d.str(&l.Event)
		default: // "accessor"
			return d.str(&l.Accessor)
		}
	})
}
