package jsonx

import (
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects the Decoder
// accepts, the same limit encoding/json applies.
const MaxDepth = 10000

// Decoder reads one JSON text from a byte slice. The zero value is not
// usable; call Reset first. A Decoder is not safe for concurrent use.
//
// Reading methods consume exactly one value (or one object member key)
// and return an error at the first problem; after an error the Decoder's
// position is unspecified and it should be discarded.
type Decoder struct {
	data    []byte
	str     string // immutable copy of data that strings are cut from
	pos     int
	depth   int
	buf     []byte
	escaped bool // the last string read was unescaped into buf
	arena   []byte
}

// arenaChunk is the size of the chunks Alloc carves small byte slices
// from.
const arenaChunk = 256

// Alloc returns n zeroed bytes for a value being decoded (an IP address,
// a mask), carved from a chunk shared by the values of this document so
// that small values do not cost an allocation each. The slice's capacity
// is n, so appending to it never touches a neighbour.
func (d *Decoder) Alloc(n int) []byte {
	if n > arenaChunk/4 {
		return make([]byte, n)
	}
	if len(d.arena) < n {
		d.arena = make([]byte, arenaChunk)
	}
	b := d.arena[:n:n]
	d.arena = d.arena[n:]
	return b
}

// Reset makes d read data from the beginning. It takes one immutable copy
// of data: strings returned by ReadString that needed no unescaping are
// cut from it instead of being allocated one by one (so they keep the
// whole copy alive), and data may be modified after Reset returns.
func (d *Decoder) Reset(data []byte) {
	d.data = data
	d.str = string(data)
	d.pos = 0
	d.depth = 0
	d.buf = d.buf[:0]
}

// Offset returns the current byte offset in the input.
func (d *Decoder) Offset() int { return d.pos }

func (d *Decoder) syntaxErr(msg string) error {
	return &SyntaxError{Offset: int64(d.pos), Msg: msg}
}

func (d *Decoder) unexpected(context string) error {
	if d.pos >= len(d.data) {
		return d.syntaxErr("unexpected end of JSON input")
	}
	return d.syntaxErr("invalid character " + quoteChar(d.data[d.pos]) + " " + context)
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	if c >= utf8.RuneSelf {
		s = strconv.Quote(string([]byte{c}))
	}
	return "'" + s[1:len(s)-1] + "'"
}

func (d *Decoder) skipWS() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// Peek returns the first byte of the next value without consuming it, or
// a SyntaxError at the end of input.
func (d *Decoder) Peek() (byte, error) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return 0, d.syntaxErr("unexpected end of JSON input")
	}
	return d.data[d.pos], nil
}

// End checks that only white space follows the value just read.
func (d *Decoder) End() error {
	d.skipWS()
	if d.pos < len(d.data) {
		return d.unexpected("after top-level value")
	}
	return nil
}

// kind describes the value starting at the current position for a
// TypeError. For a number it consumes and validates it to quote it.
func (d *Decoder) typeErr(goType string) error {
	off := int64(d.pos)
	var v, lit string
	consumed := false
	switch c := d.data[d.pos]; c {
	case '"':
		v = "string"
	case '{':
		v = "object"
	case '[':
		v = "array"
	case 't', 'f':
		v = "bool"
	case 'n':
		v = "null"
	default:
		if c == '-' || (c >= '0' && c <= '9') {
			num, err := d.readNumber()
			if err != nil {
				return err
			}
			// encoding/json names only the kind of a value of the
			// wrong kind; the literal is for the verbose form.
			v = "number"
			lit = string(num)
			consumed = true
		} else {
			return d.unexpected("looking for beginning of value")
		}
	}
	if !consumed {
		// Validate the value so a syntax error later in it wins, as with
		// encoding/json which checks the whole text first.
		if err := d.Skip(); err != nil {
			return err
		}
	}
	return &TypeError{Offset: off, Value: v, Type: goType, Literal: lit}
}

// ReadNull consumes a null literal if one comes next and reports whether
// it did.
func (d *Decoder) ReadNull() (bool, error) {
	c, err := d.Peek()
	if err != nil || c != 'n' {
		return false, err
	}
	return true, d.literal("null")
}

func (d *Decoder) literal(lit string) error {
	end := d.pos + len(lit)
	if end > len(d.data) {
		for i := 0; d.pos < len(d.data); i++ {
			if d.data[d.pos] != lit[i] {
				return d.unexpected("in literal " + lit + " (expecting " + quoteChar(lit[i]) + ")")
			}
			d.pos++
		}
		return d.syntaxErr("unexpected end of JSON input")
	}
	for i := 0; i < len(lit); i++ {
		if d.data[d.pos] != lit[i] {
			return d.unexpected("in literal " + lit + " (expecting " + quoteChar(lit[i]) + ")")
		}
		d.pos++
	}
	return nil
}

// ObjectStart consumes the '{' of an object. A null literal is consumed
// too and reported with null=true. Any other value is consumed and
// reported as a TypeError naming goType.
func (d *Decoder) ObjectStart(goType string) (null bool, err error) {
	c, err := d.Peek()
	if err != nil {
		return false, err
	}
	switch c {
	case '{':
		if d.depth++; d.depth > MaxDepth {
			return false, d.syntaxErr("exceeded max depth")
		}
		d.pos++
		return false, nil
	case 'n':
		return true, d.literal("null")
	}
	return false, d.typeErr(goType)
}

// ObjectKey reads the next member key of the object opened by ObjectStart
// and the ':' after it. first must be true for the first call after
// ObjectStart. It returns ok=false, after consuming the '}', when the
// object has no more members. The key is unescaped and valid until the
// next call on d.
func (d *Decoder) ObjectKey(first bool) (key []byte, ok bool, err error) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return nil, false, d.syntaxErr("unexpected end of JSON input")
	}
	c := d.data[d.pos]
	if c == '}' {
		d.pos++
		d.depth--
		return nil, false, nil
	}
	if !first {
		if c != ',' {
			return nil, false, d.unexpected("after object key:value pair")
		}
		d.pos++
		d.skipWS()
		if d.pos >= len(d.data) {
			return nil, false, d.syntaxErr("unexpected end of JSON input")
		}
		c = d.data[d.pos]
	}
	if c != '"' {
		return nil, false, d.unexpected("looking for beginning of object key string")
	}
	key, err = d.readString()
	if err != nil {
		return nil, false, err
	}
	d.skipWS()
	if d.pos >= len(d.data) {
		return nil, false, d.syntaxErr("unexpected end of JSON input")
	}
	if d.data[d.pos] != ':' {
		return nil, false, d.unexpected("after object key")
	}
	d.pos++
	return key, true, nil
}

// ArrayStart consumes the '[' of an array. A null literal is consumed too
// and reported with null=true. Any other value is consumed and reported
// as a TypeError naming goType.
func (d *Decoder) ArrayStart(goType string) (null bool, err error) {
	c, err := d.Peek()
	if err != nil {
		return false, err
	}
	switch c {
	case '[':
		if d.depth++; d.depth > MaxDepth {
			return false, d.syntaxErr("exceeded max depth")
		}
		d.pos++
		return false, nil
	case 'n':
		return true, d.literal("null")
	}
	return false, d.typeErr(goType)
}

// ArrayNext positions d at the next element of the array opened by
// ArrayStart. first must be true for the first call. It returns false,
// after consuming the ']', when the array has no more elements.
func (d *Decoder) ArrayNext(first bool) (bool, error) {
	d.skipWS()
	if d.pos >= len(d.data) {
		return false, d.syntaxErr("unexpected end of JSON input")
	}
	c := d.data[d.pos]
	if c == ']' {
		d.pos++
		d.depth--
		return false, nil
	}
	if !first {
		if c != ',' {
			return false, d.unexpected("after array element")
		}
		d.pos++
	}
	return true, nil
}

// ReadString reads a string value. A null literal yields null=true and
// leaves s empty; any other value is a TypeError.
func (d *Decoder) ReadString() (s string, null bool, err error) {
	b, null, err := d.ReadStringBytes()
	if err != nil || null {
		return "", null, err
	}
	if d.escaped {
		return string(b), false, nil
	}
	end := d.pos - 1
	return d.str[end-len(b) : end], false, nil
}

// ReadStringBytes is ReadString returning the unescaped bytes, valid until
// the next call on d.
func (d *Decoder) ReadStringBytes() (b []byte, null bool, err error) {
	c, err := d.Peek()
	if err != nil {
		return nil, false, err
	}
	switch c {
	case '"':
		b, err = d.readString()
		return b, false, err
	case 'n':
		return nil, true, d.literal("null")
	}
	return nil, false, d.typeErr("string")
}

// ReadInt reads an integer that fits in an int. A null literal yields
// null=true; other kinds, fractions, exponents and out-of-range numbers
// are TypeErrors.
func (d *Decoder) ReadInt() (v int, null bool, err error) {
	c, err := d.Peek()
	if err != nil {
		return 0, false, err
	}
	if c == 'n' {
		return 0, true, d.literal("null")
	}
	if c != '-' && (c < '0' || c > '9') {
		return 0, false, d.typeErr("int")
	}
	off := d.pos
	num, err := d.readNumber()
	if err != nil {
		return 0, false, err
	}
	v, ok := parseInt(num)
	if !ok {
		return 0, false, &TypeError{Offset: int64(off), Value: "number " + string(num), Type: "int"}
	}
	return v, false, nil
}

func parseInt(num []byte) (int, bool) {
	neg := false
	if num[0] == '-' {
		neg = true
		num = num[1:]
	}
	const maxU = uint64(1)<<(strconv.IntSize-1) - 1
	limit := maxU
	if neg {
		limit++
	}
	var n uint64
	for _, c := range num {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n > (limit-uint64(c-'0'))/10 {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	if neg {
		return int(-n), true
	}
	return int(n), true
}

// readNumber consumes a number at the current position, checking the
// JSON grammar, and returns its text.
func (d *Decoder) readNumber() ([]byte, error) {
	data := d.data
	start := d.pos
	i := d.pos
	if i < len(data) && data[i] == '-' {
		i++
	}
	if i >= len(data) {
		d.pos = i
		return nil, d.syntaxErr("unexpected end of JSON input")
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		for i++; i < len(data) && data[i] >= '0' && data[i] <= '9'; i++ {
		}
	default:
		d.pos = i
		return nil, d.unexpected("in numeric literal")
	}
	if i < len(data) && data[i] == '.' {
		i++
		if i >= len(data) {
			d.pos = i
			return nil, d.syntaxErr("unexpected end of JSON input")
		}
		if data[i] < '0' || data[i] > '9' {
			d.pos = i
			return nil, d.unexpected("after decimal point in numeric literal")
		}
		for ; i < len(data) && data[i] >= '0' && data[i] <= '9'; i++ {
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i >= len(data) {
			d.pos = i
			return nil, d.syntaxErr("unexpected end of JSON input")
		}
		if data[i] < '0' || data[i] > '9' {
			d.pos = i
			return nil, d.unexpected("in exponent of numeric literal")
		}
		for ; i < len(data) && data[i] >= '0' && data[i] <= '9'; i++ {
		}
	}
	d.pos = i
	return data[start:i], nil
}

// readString consumes the string starting at the current '"' and returns
// its unescaped content.
func (d *Decoder) readString() ([]byte, error) {
	data := d.data
	start := d.pos + 1
	i := start
	ascii := true
	for {
		if i >= len(data) {
			d.pos = i
			return nil, d.syntaxErr("unexpected end of JSON input")
		}
		c := data[i]
		if c == '"' {
			raw := data[start:i]
			if !ascii && !utf8.Valid(raw) {
				d.pos = start
				return d.slowString()
			}
			d.pos = i + 1
			d.escaped = false
			return raw, nil
		}
		if c == '\\' {
			d.pos = start
			return d.slowString()
		}
		if c < 0x20 {
			d.pos = i
			return nil, d.unexpected("in string literal")
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
		i++
	}
}

func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// slowString decodes a string with escapes or invalid UTF-8 starting at
// d.pos (just after the opening quote) into d.buf.
func (d *Decoder) slowString() ([]byte, error) {
	data := d.data
	out := d.buf[:0]
	i := d.pos
	for {
		if i >= len(data) {
			d.pos = i
			return nil, d.syntaxErr("unexpected end of JSON input")
		}
		c := data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			d.buf = out
			d.escaped = true
			return out, nil
		case c < 0x20:
			d.pos = i
			return nil, d.unexpected("in string literal")
		case c == '\\':
			i++
			if i >= len(data) {
				d.pos = i
				return nil, d.syntaxErr("unexpected end of JSON input")
			}
			switch e := data[i]; e {
			case '"', '\\', '/':
				out = append(out, e)
				i++
			case 'b':
				out = append(out, '\b')
				i++
			case 'f':
				out = append(out, '\f')
				i++
			case 'n':
				out = append(out, '\n')
				i++
			case 'r':
				out = append(out, '\r')
				i++
			case 't':
				out = append(out, '\t')
				i++
			case 'u':
				r := hex4(data[i+1:])
				if r < 0 {
					// Find the offending character for the message.
					j := i + 1
					for j < len(data) && j < i+5 && isHex(data[j]) {
						j++
					}
					d.pos = j
					if j >= len(data) {
						return nil, d.syntaxErr("unexpected end of JSON input")
					}
					return nil, d.unexpected("in \\u hexadecimal character escape")
				}
				i += 5
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+1 < len(data) && data[i] == '\\' && data[i+1] == 'u' {
						r2 = hex4(data[i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						i += 6
						out = utf8.AppendRune(out, dec)
						continue
					}
					r = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, r)
			default:
				d.pos = i
				return nil, d.unexpected("in string escape code")
			}
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				out = utf8.AppendRune(out, utf8.RuneError)
			} else {
				out = append(out, data[i:i+size]...)
			}
			i += size
		}
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// Skip consumes and validates one value of any kind.
func (d *Decoder) Skip() error {
	c, err := d.Peek()
	if err != nil {
		return err
	}
	switch c {
	case '"':
		// Validate without unescaping into the buffer when possible.
		_, err := d.readString()
		return err
	case '{':
		if _, err := d.ObjectStart("object"); err != nil {
			return err
		}
		for first := true; ; first = false {
			_, ok, err := d.ObjectKey(first)
			if err != nil || !ok {
				return err
			}
			if err := d.Skip(); err != nil {
				return err
			}
		}
	case '[':
		if _, err := d.ArrayStart("array"); err != nil {
			return err
		}
		for first := true; ; first = false {
			ok, err := d.ArrayNext(first)
			if err != nil || !ok {
				return err
			}
			if err := d.Skip(); err != nil {
				return err
			}
		}
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	}
	if c == '-' || (c >= '0' && c <= '9') {
		_, err := d.readNumber()
		return err
	}
	return d.unexpected("looking for beginning of value")
}

// FoldKey reports whether key matches the ASCII field name the way
// encoding/json matches object keys to struct fields: exactly, or else
// case-insensitively after mapping every rune of key to upper case (so
// "CNIVERSION" and "cniversion" match "cniVersion").
func FoldKey(key []byte, name string) bool {
	if string(key) == name {
		return true
	}
	j := 0
	for i := 0; i < len(key); {
		c := key[i]
		var r rune
		if c < utf8.RuneSelf {
			r = rune(c)
			i++
		} else {
			var size int
			r, size = utf8.DecodeRune(key[i:])
			i += size
		}
		r = unicode.ToUpper(r)
		if j >= len(name) {
			return false
		}
		n := name[j]
		if 'a' <= n && n <= 'z' {
			n -= 'a' - 'A'
		}
		if r != rune(n) {
			return false
		}
		j++
	}
	return j == len(name)
}
