// Package jsonx is a small, strict, allocation-lean JSON reader and writer
// for the fixed document shapes of CNI (results, errors, version answers).
//
// The Decoder walks a complete JSON text held in memory without reflection.
// Its acceptance rules follow encoding/json: the whole text must be valid
// JSON (RFC 8259), strings are unescaped with \u surrogate pairs combined,
// invalid UTF-8 and lone surrogates become U+FFFD, and nesting deeper than
// 10000 levels is refused. Callers decide how keys map to fields; FoldKey
// implements encoding/json's case-insensitive fallback.
//
// The Encoder appends JSON to a byte slice, either compact or indented,
// escaping strings exactly like encoding/json (HTML-safe, U+2028/U+2029
// escaped, invalid UTF-8 replaced by U+FFFD).
package jsonx

import (
	"fmt"
	"strconv"
	"strings"
)

// SyntaxError reports JSON text that is not well-formed.
type SyntaxError struct {
	// Offset is the byte offset in the input where the problem was found.
	Offset int64
	// Msg describes the problem.
	Msg string
}

// Error returns Msg, encoding/json's text for the same problem, such as
// "invalid character 'a' looking for beginning of value". The verbose
// form, fmt's %+v, adds the offset: "... (offset 0)".
func (e *SyntaxError) Error() string {
	return e.Msg
}

// Format implements fmt.Formatter: %+v gives Error() followed by
// " (offset N)"; %v and %s give Error(), %q quotes it.
func (e *SyntaxError) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "%s (offset %d)", e.Msg, e.Offset)
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Msg)
	default:
		fmt.Fprint(f, e.Msg)
	}
}

// TypeError reports a well-formed JSON value whose kind does not fit the
// Go value it is decoded into (a number where a string is expected, a
// fractional number for an integer, ...).
type TypeError struct {
	// Offset is the byte offset of the value in the input.
	Offset int64
	// Value describes the JSON value as encoding/json does: "string",
	// "number", "object", ..., or "number 1.5" for a number that does not
	// fit an integer.
	Value string
	// Type is the Go type the value was decoded into.
	Type string
	// Literal is the number's text when Value is "number", else "".
	Literal string
}

// Error returns encoding/json's text for the same problem: "json: cannot
// unmarshal number into Go value of type string". The verbose form, fmt's
// %+v, adds the number's literal and the offset.
func (e *TypeError) Error() string {
	return fmt.Sprintf("json: cannot unmarshal %s into Go value of type %s", e.Value, e.Type)
}

// Format implements fmt.Formatter: %+v gives the verbose form described
// at Error; %v and %s give Error(), %q quotes it.
func (e *TypeError) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "json: cannot unmarshal %s into Go value of type %s (offset %d)", e.describe(), e.Type, e.Offset)
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		fmt.Fprint(f, e.Error())
	}
}

func (e *TypeError) describe() string {
	if e.Literal != "" {
		return e.Value + " " + e.Literal
	}
	return e.Value
}

// FieldError places an error raised while decoding a value at the path of
// that value in the document, like `ips[1].address`.
type FieldError struct {
	// Path is the dotted path of the value, with [n] for array elements.
	Path string
	// Struct names the Go struct whose field encoding/json would report
	// for a TypeError at Path ("Result", "Interface", "DNS"; "" for an
	// anonymous struct); see InStruct.
	Struct string
	// Err is the underlying error.
	Err error

	named bool // InStruct was applied
}

// Error returns what encoding/json reports for the same problem: for a
// TypeError, "json: cannot unmarshal number into Go struct field
// Result.ips.address of type string" (the path without array indices,
// under Struct); for any other error its own text. The verbose form,
// fmt's %+v, gives the underlying error's verbose form followed by ` in
// field "ips[0].address"`.
func (e *FieldError) Error() string {
	te, ok := e.Err.(*TypeError)
	if !ok || (!e.named && e.Struct == "") {
		return e.Err.Error()
	}
	return fmt.Sprintf("json: cannot unmarshal %s into Go struct field %s.%s of type %s", te.Value, e.Struct, fieldPath(e.Path), te.Type)
}

// Format implements fmt.Formatter: %+v gives the verbose form described
// at Error; %v and %s give Error(), %q quotes it.
func (e *FieldError) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "%+v in field %q", e.Err, e.Path)
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Error())
	default:
		fmt.Fprint(f, e.Error())
	}
}

// fieldPath drops the array indices of a path, as encoding/json's field
// names do: "ips[0].address" becomes "ips.address".
func fieldPath(p string) string {
	var b strings.Builder
	skip := false
	for _, r := range p {
		switch {
		case r == '[':
			skip = true
		case r == ']':
			skip = false
		case !skip:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// InStruct records, on a FieldError that has none yet, the Go struct
// encoding/json would name for it ("" for an anonymous struct); any other
// error is returned as it is. Decoders call it where the reference's types
// decode a plain struct (fields of a struct with its own UnmarshalJSON are
// named after the struct holding it).
func InStruct(err error, name string) error {
	if fe, ok := err.(*FieldError); ok && !fe.named && fe.Struct == "" {
		fe.Struct, fe.named = name, true
	}
	return err
}

// InField returns err placed under the object member name: a FieldError
// gets name prepended to its path, any other error is wrapped in a new
// FieldError. A nil err stays nil.
func InField(err error, name string) error {
	if err == nil {
		return nil
	}
	if fe, ok := err.(*FieldError); ok {
		if strings.HasPrefix(fe.Path, "[") {
			fe.Path = name + fe.Path
		} else {
			fe.Path = name + "." + fe.Path
		}
		return fe
	}
	return &FieldError{Path: name, Err: err}
}

// InIndex returns err placed under array element i, like InField.
func InIndex(err error, i int) error {
	if err == nil {
		return nil
	}
	idx := "[" + strconv.Itoa(i) + "]"
	if fe, ok := err.(*FieldError); ok {
		if strings.HasPrefix(fe.Path, "[") {
			fe.Path = idx + fe.Path
		} else {
			fe.Path = idx + "." + fe.Path
		}
		return fe
	}
	return &FieldError{Path: idx, Err: err}
}
