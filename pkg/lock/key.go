package lock

import (
	"errors"
	"fmt"
	"path/filepath"
)

// MaxKeyLen is the longest accepted key in bytes. Together with the ".lock"
// suffix it keeps lock file names within the common 255-byte limit.
const MaxKeyLen = 250

// ErrInvalidKey is matched (via errors.Is) by every [*KeyError].
var ErrInvalidKey = errors.New("lock: invalid key")

// KeyError reports a key that cannot be used as a lock name.
type KeyError struct {
	Key    string // the refused key
	Reason string // why it was refused
}

// Error implements error.
func (e *KeyError) Error() string {
	return fmt.Sprintf("lock: invalid key %q: %s", e.Key, e.Reason)
}

// Is makes errors.Is(err, ErrInvalidKey) true for a *KeyError.
func (e *KeyError) Is(target error) bool { return target == ErrInvalidKey }

// ValidateKey reports whether key can name a lock. A valid key is 1 to
// [MaxKeyLen] bytes of ASCII letters, digits, '_', '.' and '-', starting with
// a letter or digit — the character set CNI allows for container IDs and
// network names. So a key never contains a path separator, is never "." or
// "..", and its lock file always lies directly inside the Locker's
// directory. On Windows, names reserved for devices (such as "NUL") are
// refused as well. The error is a [*KeyError] matching [ErrInvalidKey].
func ValidateKey(key string) error {
	if key == "" {
		return &KeyError{Key: key, Reason: "empty"}
	}
	if len(key) > MaxKeyLen {
		return &KeyError{Key: key, Reason: fmt.Sprintf("longer than %d bytes", MaxKeyLen)}
	}
	if !isAlnum(key[0]) {
		return &KeyError{Key: key, Reason: "must start with an ASCII letter or digit"}
	}
	for i := 1; i < len(key); i++ {
		c := key[i]
		if !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return &KeyError{Key: key, Reason: fmt.Sprintf("character %q at byte %d not allowed (want [A-Za-z0-9_.-])", c, i)}
		}
	}
	// Defence in depth; also refuses reserved device names on Windows.
	if !filepath.IsLocal(key + fileSuffix) {
		return &KeyError{Key: key, Reason: "not usable as a local file name"}
	}
	return nil
}

// isAlnum reports whether c is an ASCII letter or digit.
func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
