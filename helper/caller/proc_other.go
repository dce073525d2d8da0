//go:build !linux && !darwin

package caller

import "errors"

// sysProcs cannot read other processes here: every caller is Unknown.
type sysProcs struct{}

var errUnsupported = errors.New("reading another process is not supported on this system")

func (sysProcs) args(int) ([]string, error) { return nil, errUnsupported }
func (sysProcs) exe(int) (string, error)    { return "", errUnsupported }
func (sysProcs) parent(int) (int, error)    { return 0, errUnsupported }
