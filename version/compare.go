package version

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseError is the error ParseVersion returns for a malformed version.
type ParseError struct {
	// Version is the whole string given to ParseVersion.
	Version string
	// Part is "major", "minor" or "micro" for a part that is not a number,
	// or "" when the version has too many parts.
	Part string
	// Value is the text of the bad part.
	Value string
	// Err is the number conversion error, if any.
	Err error
}

// Error describes the malformed part.
func (e *ParseError) Error() string {
	if e.Part == "" {
		return fmt.Sprintf("invalid version %q: too many parts", e.Version)
	}
	return fmt.Sprintf("failed to convert %s version part %q: %v", e.Part, e.Value, e.Err)
}

// Unwrap returns the number conversion error, if any.
func (e *ParseError) Unwrap() error { return e.Err }

var partNames = [3]string{"major", "minor", "micro"}

// ParseVersion splits a version such as "0.4.0" or "1.1" into its major,
// minor and micro numbers; absent parts are zero and "" is 0.1.0. A version
// with more than three parts or a part that is not an integer gives -1, -1,
// -1 and a *ParseError.
func ParseVersion(version string) (int, int, int, error) {
	if version == "" {
		return 0, 1, 0, nil
	}
	if strings.Count(version, ".") > 2 {
		return -1, -1, -1, &ParseError{Version: version}
	}
	var nums [3]int
	rest := version
	for i := 0; i < 3; i++ {
		part := rest
		dot := strings.IndexByte(rest, '.')
		if dot >= 0 {
			part, rest = rest[:dot], rest[dot+1:]
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			return -1, -1, -1, &ParseError{Version: version, Part: partNames[i], Value: part, Err: err}
		}
		nums[i] = n
		if dot < 0 {
			break
		}
	}
	return nums[0], nums[1], nums[2], nil
}

// compare returns -1, 0 or 1 as version is below, equal to or above other.
func compare(version, other string) (int, error) {
	a1, a2, a3, err := ParseVersion(version)
	if err != nil {
		return 0, err
	}
	b1, b2, b3, err := ParseVersion(other)
	if err != nil {
		return 0, err
	}
	for _, p := range [3][2]int{{a1, b1}, {a2, b2}, {a3, b3}} {
		switch {
		case p[0] < p[1]:
			return -1, nil
		case p[0] > p[1]:
			return 1, nil
		}
	}
	return 0, nil
}

// GreaterThanOrEqualTo reports whether version is at or above otherVersion.
// Either one failing to parse is an error.
func GreaterThanOrEqualTo(version, otherVersion string) (bool, error) {
	c, err := compare(version, otherVersion)
	return c >= 0 && err == nil, err
}

// GreaterThan reports whether version is strictly above otherVersion.
// Either one failing to parse is an error.
func GreaterThan(version, otherVersion string) (bool, error) {
	c, err := compare(version, otherVersion)
	return c > 0 && err == nil, err
}
