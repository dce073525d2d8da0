package setup

import "strings"

// methodTypes are the auth method types whose default mount path is
// their name: a token created at auth/<type>/... came from `vault login
// -method=<type>`.
var methodTypes = map[string]bool{
	"userpass": true, "ldap": true, "oidc": true, "jwt": true, "github": true, "okta": true,
	"radius": true, "cert": true, "aws": true, "gcp": true, "azure": true, "kerberos": true,
	"approle": true, "saml": true, "kubernetes": true, "oci": true, "alicloud": true, "cf": true,
}

// LoginHint is the login command to suggest for an admin login, from the
// path a token was created at (heal.TokenInfo.Path): the method of that
// login when the path names one (auth/userpass/login/jane: `vault login
// -method=userpass`), else a pointer to the methods the user has. cli is
// "vault" or "bao".
func LoginHint(cli, path string) string {
	parts := strings.Split(path, "/")
	if len(parts) >= 3 && parts[0] == "auth" && parts[1] != "token" && parts[1] != "" {
		mount := parts[1]
		if methodTypes[mount] {
			return "`" + cli + " login -method=" + mount + "`, the method of your last login"
		}
		return "`" + cli + " login -path=" + mount + " -method=TYPE`, the mount of your last login (`" + cli + " auth list` gives its TYPE)"
	}
	return "`" + cli + " login -method=METHOD` with the method you log in with as admin (`" + cli + " auth list` names those enabled)"
}
