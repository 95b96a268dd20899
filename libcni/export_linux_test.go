//go:build linux

package libcni

// LockFileCheckInterval is lockFileCheckInterval, for the fault tests of
// package libcni_test.
const LockFileCheckInterval = lockFileCheckInterval
