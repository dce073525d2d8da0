package vaulttest

import (
	"fmt"

	"github.com/oauth2-proxy/mockoidc"
)

// Identity fixtures: admin rights that come from identity groups rather
// than from the login token's own policies, as most OIDC setups grant
// them. A token of these logins has policies [default] and
// identity_policies [vault-admin].
const (
	// GroupUser is a userpass user (password Password, token policies
	// default only) whose entity is a member of InternalGroup.
	GroupUser = "member"
	// InternalGroup is an internal identity group holding AdminPolicy.
	InternalGroup = "admins"
	// GroupReader is a userpass user (token policies default only) whose
	// entity is a member of ReaderGroup: a login that cannot mint.
	GroupReader = "member-reader"
	// ReaderGroup is an internal identity group holding ReadOnlyPolicy.
	ReaderGroup = "readers"
	// OIDCGroupRole is an oidc role whose tokens have only the default
	// policy and whose groups claim is mapped to external groups.
	OIDCGroupRole = "grouped"
	// ExternalGroup is an external identity group holding AdminPolicy,
	// aliased to the OIDC group OIDCAdminGroup.
	ExternalGroup = "oidc-admins"
	// OIDCAdminGroup is the value of the groups claim that maps to
	// ExternalGroup.
	OIDCAdminGroup = "vault-admins"
)

// SetupIdentity creates GroupUser and GroupReader, their entities and
// aliases, and InternalGroup and ReaderGroup with one entity each.
func (s *Server) SetupIdentity(t T) {
	t.Helper()
	root := s.Root(t)
	userpass := s.mountAccessor(t, "userpass/")
	for user, group := range map[string][2]string{GroupUser: {InternalGroup, AdminPolicy}, GroupReader: {ReaderGroup, ReadOnlyPolicy}} {
		if _, err := root.Logical().Write("auth/userpass/users/"+user, map[string]any{
			"password": Password, "token_policies": "default", "token_max_ttl": "168h",
		}); err != nil {
			t.Fatalf("create userpass user %s: %v", user, err)
		}
		entity := s.write(t, "identity/entity", map[string]any{"name": user})
		s.write(t, "identity/entity-alias", map[string]any{"name": user, "canonical_id": entity, "mount_accessor": userpass})
		s.write(t, "identity/group", map[string]any{
			"name": group[0], "type": "internal", "policies": []string{group[1]}, "member_entity_ids": []string{entity},
		})
	}
}

// EnableOIDCGroups adds OIDCGroupRole to the oidc auth method EnableOIDC
// configured, and ExternalGroup with an alias for OIDCAdminGroup. Queue a
// user with that group (QueueGroups) before a login with the role.
func (s *Server) EnableOIDCGroups(t T, o *OIDC) {
	t.Helper()
	root := s.Root(t)
	if _, err := root.Logical().Write("auth/oidc/role/"+OIDCGroupRole, map[string]any{
		"role_type":             "oidc",
		"user_claim":            "sub",
		"groups_claim":          "groups",
		"allowed_redirect_uris": fmt.Sprintf("http://localhost:%d/oidc/callback", o.Port),
		"oidc_scopes":           "openid,email,profile,groups",
		"token_policies":        "default",
		"token_max_ttl":         "168h",
	}); err != nil {
		t.Fatalf("create oidc role %s: %v", OIDCGroupRole, err)
	}
	group := s.write(t, "identity/group", map[string]any{
		"name": ExternalGroup, "type": "external", "policies": []string{AdminPolicy},
	})
	s.write(t, "identity/group-alias", map[string]any{
		"name": OIDCAdminGroup, "canonical_id": group, "mount_accessor": s.mountAccessor(t, "oidc/"),
	})
}

// QueueGroups makes the next authorization of the mock provider sign in
// a user with the given subject and groups claim.
func (o *OIDC) QueueGroups(subject string, groups ...string) {
	o.Provider.QueueUser(&mockoidc.MockUser{
		Subject:           subject,
		Email:             subject + "@example.com",
		EmailVerified:     true,
		PreferredUsername: subject,
		Groups:            groups,
	})
}

// write writes data to path as root and returns the id Vault answers
// with (identity objects).
func (s *Server) write(t T, path string, data map[string]any) string {
	t.Helper()
	sec, err := s.Root(t).Logical().Write(path, data)
	if err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	if sec == nil {
		return ""
	}
	id, _ := sec.Data["id"].(string)
	return id
}

// mountAccessor is the accessor of the auth mount at path ("userpass/").
func (s *Server) mountAccessor(t T, path string) string {
	t.Helper()
	auths, err := s.Root(t).Sys().ListAuth()
	if err != nil {
		t.Fatalf("list auth methods: %v", err)
	}
	m, ok := auths[path]
	if !ok {
		t.Fatalf("auth method %s is not enabled", path)
	}
	return m.Accessor
}

// IdentityPolicies is what the token says of its identity policies.
func (s *Server) IdentityPolicies(t T, token string) []string {
	t.Helper()
	sec, err := s.Client(t, token).Auth().Token().LookupSelf()
	if err != nil {
		t.Fatalf("lookup-self: %v", err)
	}
	return stringList(sec.Data["identity_policies"])
}

func stringList(v any) []string {
	var out []string
	if l, ok := v.([]any); ok {
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}
