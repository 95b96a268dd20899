// Package errfmt holds what cnirt's error types share to implement
// fmt.Formatter: their Error() is the reference library's text, and the
// verbose verb %+v adds the context cnirt knows.
package errfmt

import (
	"fmt"
	"io"
)

// Plain writes text as fmt writes an error's text for verb, the verbose
// flag aside: %v and %s as is, %q quoted, %x and %X in hex, and fmt's
// bad-verb marker for any other verb.
func Plain(f fmt.State, verb rune, text string) {
	switch verb {
	case 'v', 's':
		_, _ = io.WriteString(f, text)
	case 'q':
		fmt.Fprintf(f, "%q", text)
	default:
		fmt.Fprintf(f, "%"+string(verb), text)
	}
}

// Verbose reports whether f asks for the verbose form, %+v.
func Verbose(f fmt.State, verb rune) bool {
	return verb == 'v' && f.Flag('+')
}
