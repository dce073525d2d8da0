package setup

import "testing"

func TestLoginHint(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		want string
	}{
		{"auth/userpass/login/jane", "`vault login -method=userpass`, the method of your last login"},
		{"auth/oidc/oidc/callback", "`vault login -method=oidc`, the method of your last login"},
		{"auth/okta-admin/login/jane", "`vault login -path=okta-admin -method=TYPE`, the mount of your last login (`vault auth list` gives its TYPE)"},
		{"auth/token/root", "`vault login -method=METHOD` with the method you log in with as admin (`vault auth list` names those enabled)"},
		{"auth/token/create-orphan", "`vault login -method=METHOD` with the method you log in with as admin (`vault auth list` names those enabled)"},
		{"", "`vault login -method=METHOD` with the method you log in with as admin (`vault auth list` names those enabled)"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			if got := LoginHint("vault", tt.path); got != tt.want {
				t.Errorf("LoginHint(%q): got %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}
