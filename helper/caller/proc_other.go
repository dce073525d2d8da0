//go:build !linux && !darwin

package caller

// sysProcs cannot read other processes here: every caller is Unknown.
type sysProcs struct{}

func (sysProcs) args(int) ([]string, error) { return nil, errUnsupportedOS }
func (sysProcs) exe(int) (string, error)    { return "", errUnsupportedOS }
func (sysProcs) parent(int) (int, error)    { return 0, errUnsupportedOS }
