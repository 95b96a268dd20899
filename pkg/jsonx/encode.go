package jsonx

import (
	"strconv"
	"unicode/utf8"
)

// Encoder appends JSON to a byte slice. With an empty indent it writes
// compact JSON like json.Marshal; with an indent it writes the layout of
// json.MarshalIndent(v, "", indent). The caller is responsible for calling
// the methods in a valid order (a Key before every member value).
type Encoder struct {
	buf      []byte
	indent   string
	depth    int
	afterKey bool
}

// NewEncoder returns an Encoder appending to buf (which may be nil).
func NewEncoder(buf []byte, indent string) Encoder {
	return Encoder{buf: buf, indent: indent}
}

// Bytes returns the JSON written so far.
func (e *Encoder) Bytes() []byte { return e.buf }

func (e *Encoder) newline() {
	e.buf = append(e.buf, '\n')
	for i := 0; i < e.depth; i++ {
		e.buf = append(e.buf, e.indent...)
	}
}

// sep writes what must precede a value: nothing after a key, else a
// comma when the value is not the first of its array, and the newline.
func (e *Encoder) sep() {
	if e.afterKey {
		e.afterKey = false
		return
	}
	if e.depth == 0 {
		return
	}
	last := e.buf[len(e.buf)-1]
	if last != '[' {
		e.buf = append(e.buf, ',')
	}
	if e.indent != "" {
		e.newline()
	}
}

// ObjectStart writes '{'.
func (e *Encoder) ObjectStart() {
	e.sep()
	e.buf = append(e.buf, '{')
	e.depth++
}

// ObjectEnd writes '}'.
func (e *Encoder) ObjectEnd() {
	e.depth--
	if e.indent != "" && e.buf[len(e.buf)-1] != '{' {
		e.newline()
	}
	e.buf = append(e.buf, '}')
}

// ArrayStart writes '['.
func (e *Encoder) ArrayStart() {
	e.sep()
	e.buf = append(e.buf, '[')
	e.depth++
}

// ArrayEnd writes ']'.
func (e *Encoder) ArrayEnd() {
	e.depth--
	if e.indent != "" && e.buf[len(e.buf)-1] != '[' {
		e.newline()
	}
	e.buf = append(e.buf, ']')
}

// Key writes an object member key; the next call must write its value.
func (e *Encoder) Key(name string) {
	if e.buf[len(e.buf)-1] != '{' {
		e.buf = append(e.buf, ',')
	}
	if e.indent != "" {
		e.newline()
	}
	e.buf = AppendString(e.buf, name)
	e.buf = append(e.buf, ':')
	if e.indent != "" {
		e.buf = append(e.buf, ' ')
	}
	e.afterKey = true
}

// String writes a string value.
func (e *Encoder) String(s string) {
	e.sep()
	e.buf = AppendString(e.buf, s)
}

// StringBytes writes b as a string value.
func (e *Encoder) StringBytes(b []byte) {
	e.sep()
	if needsEscape(b) {
		e.buf = AppendString(e.buf, string(b))
		return
	}
	e.buf = append(e.buf, '"')
	e.buf = append(e.buf, b...)
	e.buf = append(e.buf, '"')
}

// Int writes an integer value.
func (e *Encoder) Int(v int) {
	e.sep()
	e.buf = strconv.AppendInt(e.buf, int64(v), 10)
}

// Null writes null.
func (e *Encoder) Null() {
	e.sep()
	e.buf = append(e.buf, "null"...)
}

func needsEscape(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string the way encoding/json writes
// it: '<', '>', '&', U+2028 and U+2029 are \u-escaped, control characters
// use \b \f \n \r \t or \u00XX, and each byte of invalid UTF-8 becomes
// \ufffd.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
