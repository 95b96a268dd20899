package libcni

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/cnirt/cni/internal/errfmt"
)

// NotFoundError reports that no configuration in Dir declares the network
// Name. Callers test for it with errors.As using a NotFoundError value.
type NotFoundError struct {
	// Dir is the directory that was searched.
	Dir string
	// Name is the network name that was looked for.
	Name string
}

// Error returns the message the reference library uses for this condition.
func (e NotFoundError) Error() string {
	return fmt.Sprintf(`no net configuration with name "%s" in %s`, e.Name, e.Dir)
}

// NoConfigsFoundError reports that Dir holds no configuration file with a
// recognised extension at all. Callers test for it with errors.As using a
// NoConfigsFoundError value.
type NoConfigsFoundError struct {
	// Dir is the directory that was searched.
	Dir string
}

// Error returns the message the reference library uses for this condition.
func (e NoConfigsFoundError) Error() string {
	return fmt.Sprintf(`no net configurations found in %s`, e.Dir)
}

// ConfigError is returned (as *ConfigError) when a network or plugin
// configuration is refused. It says which file (when the configuration came
// from a file) and which field is at fault; Err holds the reason, whose text
// is the reference library's message for the same condition.
type ConfigError struct {
	// File is the configuration file, or "" when the configuration was
	// given as bytes.
	File string
	// Field is the JSON path of the offending field, for example "name",
	// "cniVersions[1]" or "plugins[2].type"; "" when the document as a whole
	// is at fault (not JSON, too large, ...).
	Field string
	// Err is the reason.
	Err error
	// Line and Column locate a JSON syntax error in the document (both
	// 1-based, the column counted in bytes); 0 when Err is not one.
	Line, Column int
}

// Error returns the reason's text, which is the reference library's text
// for the condition byte for byte (for example `error parsing
// configuration list: no name`). The file, field and position are in the
// fields and in the verbose form, fmt's %+v.
func (e *ConfigError) Error() string {
	if e.Err == nil {
		return "invalid configuration"
	}
	return e.Err.Error()
}

// Format implements fmt.Formatter: %+v gives "file: field: reason (line L,
// column C)", leaving out the parts that are empty; the other verbs format
// Error() as for any error.
func (e *ConfigError) Format(f fmt.State, verb rune) {
	if !errfmt.Verbose(f, verb) {
		errfmt.Plain(f, verb, e.Error())
		return
	}
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Error())
	if e.Line > 0 {
		fmt.Fprintf(&b, " (line %d, column %d)", e.Line, e.Column)
	}
	_, _ = io.WriteString(f, b.String())
}

// Unwrap returns the reason, so that errors.Is and errors.As see through a
// ConfigError.
func (e *ConfigError) Unwrap() error { return e.Err }

// UnsupportedVersionError reports a CNI spec version this library cannot
// drive: wrapped in a *ConfigError when loading a version that is not a
// version at all, and wrapped in an *InvalidRuntimeConfError when an
// operation (ADD, CHECK, DEL, STATUS, GC) is asked of a network whose
// well-formed version this library does not know.
type UnsupportedVersionError struct {
	// Versions are the versions the configuration offered (cniVersion,
	// and the entries of cniVersions when present).
	Versions []string
	// Supported are the versions this library supports
	// (version.All.SupportedVersions()).
	Supported []string
	// Err is the parse error when a version is malformed; nil when the
	// versions are well formed but none is supported.
	Err error
}

// Error returns, for a malformed version, the parse error's text (what
// the reference library reports); otherwise it names the offending
// version(s) and lists the supported ones. The verbose form, fmt's %+v,
// lists the supported versions in both cases.
func (e *UnsupportedVersionError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return e.verbose()
}

// Format implements fmt.Formatter: %+v gives the text with the supported
// versions; the other verbs format Error() as for any error.
func (e *UnsupportedVersionError) Format(f fmt.State, verb rune) {
	if errfmt.Verbose(f, verb) {
		_, _ = io.WriteString(f, e.verbose())
		return
	}
	errfmt.Plain(f, verb, e.Error())
}

func (e *UnsupportedVersionError) verbose() string {
	var b strings.Builder
	switch {
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	case len(e.Versions) == 1:
		fmt.Fprintf(&b, "CNI version %q is not supported", e.Versions[0])
	default:
		b.WriteString("none of the CNI versions ")
		for i, v := range e.Versions {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", v)
		}
		b.WriteString(" is supported")
	}
	b.WriteString(" (supported versions: ")
	b.WriteString(strings.Join(e.Supported, ", "))
	b.WriteString(")")
	return b.String()
}

// Unwrap returns the parse error of a malformed version, if any.
func (e *UnsupportedVersionError) Unwrap() error { return e.Err }

// syntaxError returns a ConfigError for a document that failed to decode,
// with reason err prefixed by prefix and, when err is a JSON syntax error,
// the line and column where data stops being JSON.
func syntaxError(data []byte, prefix string, err error) *ConfigError {
	ce := &ConfigError{Err: fmt.Errorf("%s%w", prefix, err)}
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset > 0 {
		// Offset counts the bytes read, the offending one included.
		at := int(min(se.Offset, int64(len(data)))) - 1
		before := data[:at]
		ce.Line = 1 + bytes.Count(before, []byte{'\n'})
		ce.Column = at - bytes.LastIndexByte(before, '\n')
	}
	return ce
}
