// Package rawjson edits the top level of a JSON object without decoding it:
// it finds the members of the outermost object and replaces or appends
// members, leaving every other byte of the document untouched.
//
// libcni uses it to derive a plugin's request configuration (name,
// cniVersion, prevResult, runtimeConfig ...) from the plugin's raw
// configuration bytes, so that plugin-specific keys reach the plugin exactly
// as they were written, and so that no map[string]interface{} round trip is
// paid on every plugin run.
package rawjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrNotObject is returned (wrapped) when the document is valid JSON but its
// top-level value is not an object.
var ErrNotObject = errors.New("JSON value is not an object")

// Member is one key/value pair to place at the top level of an object.
type Member struct {
	// Key is the member's name, unescaped.
	Key string
	// Value is the member's value; it must be valid JSON.
	Value []byte
}

// span locates one top-level member of the scanned object.
type span struct {
	keyStart, keyEnd int // the key including its quotes
	valStart, valEnd int // the value
}

// Splice returns a copy of the JSON object obj in which every member named
// by set has the given value: members already present at the top level
// (every occurrence, when a key is duplicated) get their value replaced in
// place, missing ones are appended at the end of the object in the order
// given. Everything else, including whitespace, key order, nested objects
// and number spellings, is copied byte for byte.
//
// Members whose key differs from a key in set only in letter case ("Name"
// for "name") get the same value too: a plugin decoding into a Go struct
// matches keys case-insensitively and could otherwise read the case variant
// instead of the value libcni set. The exactly spelled key is still
// appended when it is missing.
//
// obj must be a valid JSON document whose top-level value is an object; the
// values in set must be valid JSON (they are not checked). Keys are compared
// after unescaping.
func Splice(obj []byte, set ...Member) ([]byte, error) {
	if !json.Valid(obj) {
		return nil, fmt.Errorf("invalid JSON: %w", validityError(obj))
	}
	open := skipSpace(obj, 0)
	if open >= len(obj) || obj[open] != '{' {
		return nil, ErrNotObject
	}
	spans, closing := scanObject(obj, open)

	// Decide, for every existing member, whether one of the keys to set
	// replaces it; remember which keys were seen.
	seen := make([]bool, len(set))
	replace := make([]int, len(spans)) // index into set, or -1
	extra := 0
	for i, sp := range spans {
		replace[i] = -1
		idx, exact := matchKey(obj[sp.keyStart:sp.keyEnd], set)
		if idx < 0 {
			continue
		}
		replace[i] = idx
		if exact {
			seen[idx] = true
		}
		extra += len(set[idx].Value) - (sp.valEnd - sp.valStart)
	}
	for i, m := range set {
		if !seen[i] {
			extra += len(m.Key) + len(m.Value) + 8
		}
	}

	out := make([]byte, 0, len(obj)+max(extra, 0))
	last := 0
	for i, sp := range spans {
		if replace[i] < 0 {
			continue
		}
		out = append(out, obj[last:sp.valStart]...)
		out = append(out, set[replace[i]].Value...)
		last = sp.valEnd
	}

	// Find where the object's content ends: the last non-space byte
	// before the closing brace, so appended members go right after it.
	insertAt := closing
	for insertAt > open+1 && isSpace(obj[insertAt-1]) {
		insertAt--
	}
	out = append(out, obj[last:insertAt]...)
	needComma := len(spans) > 0
	for i, m := range set {
		if seen[i] {
			continue
		}
		if needComma {
			out = append(out, ',')
		}
		needComma = true
		out = appendKey(out, m.Key)
		out = append(out, ':')
		out = append(out, m.Value...)
	}
	out = append(out, obj[insertAt:]...)
	return out, nil
}

// Lookup returns the raw value of the top-level member key of the JSON
// object obj (the last occurrence when the key is duplicated, as
// encoding/json would decode it) and whether it was found. obj must be a
// valid JSON object.
func Lookup(obj []byte, key string) ([]byte, bool, error) {
	if !json.Valid(obj) {
		return nil, false, fmt.Errorf("invalid JSON: %w", validityError(obj))
	}
	open := skipSpace(obj, 0)
	if open >= len(obj) || obj[open] != '{' {
		return nil, false, ErrNotObject
	}
	spans, _ := scanObject(obj, open)
	want := []Member{{Key: key}}
	var val []byte
	found := false
	for _, sp := range spans {
		if idx, exact := matchKey(obj[sp.keyStart:sp.keyEnd], want); idx == 0 && exact {
			val = obj[sp.valStart:sp.valEnd]
			found = true
		}
	}
	return val, found, nil
}

func validityError(obj []byte) error {
	var v any
	if err := json.Unmarshal(obj, &v); err != nil {
		return err
	}
	return errors.New("malformed document")
}

// matchKey returns the index in set of the member whose name equals the
// quoted key raw (exact is true), or failing that equals it but for letter
// case (exact is false); -1 when none does.
func matchKey(raw []byte, set []Member) (idx int, exact bool) {
	inner := raw[1 : len(raw)-1]
	key := string(inner)
	for _, b := range inner {
		if b == '\\' || b >= utf8.RuneSelf {
			if err := json.Unmarshal(raw, &key); err != nil {
				return -1, false
			}
			break
		}
	}
	for i, m := range set {
		if m.Key == key {
			return i, true
		}
	}
	for i, m := range set {
		if strings.EqualFold(m.Key, key) {
			return i, false
		}
	}
	return -1, false
}

// appendKey appends key as a JSON string.
func appendKey(out []byte, key string) []byte {
	simple := true
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			simple = false
			break
		}
	}
	if simple {
		out = append(out, '"')
		out = append(out, key...)
		return append(out, '"')
	}
	b, _ := json.Marshal(key) // a string always marshals
	return append(out, b...)
}

// scanObject scans the valid JSON object starting at obj[open] == '{' and
// returns its top-level members and the index of its closing brace.
func scanObject(obj []byte, open int) ([]span, int) {
	var spans []span
	i := skipSpace(obj, open+1)
	if obj[i] == '}' {
		return nil, i
	}
	for {
		var sp span
		sp.keyStart = i
		i = skipString(obj, i)
		sp.keyEnd = i
		i = skipSpace(obj, i)
		i++ // ':'
		i = skipSpace(obj, i)
		sp.valStart = i
		i = skipValue(obj, i)
		sp.valEnd = i
		spans = append(spans, sp)
		i = skipSpace(obj, i)
		if obj[i] == '}' {
			return spans, i
		}
		i++ // ','
		i = skipSpace(obj, i)
	}
}

func isSpace(b byte) bool {
	return b == ' ' || b == '\t' || b == '\n' || b == '\r'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	i++
	for i < len(b) {
		switch b[i] {
		case '\\':
			i += 2
		case '"':
			return i + 1
		default:
			i++
		}
	}
	return i
}

// skipValue returns the index just past the valid JSON value at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // number, true, false, null
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
			i++
		}
		return i
	}
}
