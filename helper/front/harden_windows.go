package front

// Harden does nothing on Windows: there is no core file, and opening the
// process to read its memory takes PROCESS_VM_READ, which the process's
// default access list grants only to the user, SYSTEM and administrators:
// the same people who may read the token file.
func Harden() error { return nil }
