package invoke

import (
	"errors"
	"io"
	"strconv"
)

const (
	// stderrHeadBytes and stderrTailBytes bound the stderr text kept for
	// error messages: the beginning (where Go panics and most fatal messages
	// are) and the end (where the last log lines are).
	stderrHeadBytes = 32 << 10
	stderrTailBytes = 32 << 10
)

// errOutputLimit is returned to the stdout copier once the limit is hit; it
// stops the copy and is never surfaced to callers (they get an
// *OutputLimitError).
var errOutputLimit = errors.New("plugin output limit reached")

// outputBuffer collects a plugin's stdout up to a limit. It is written by a
// single goroutine and read after exec.Cmd.Wait returns.
type outputBuffer struct {
	buf      []byte
	limit    int64 // negative: no limit
	exceeded bool
	onExceed func()
}

func (b *outputBuffer) Write(p []byte) (int, error) {
	if b.exceeded {
		return 0, errOutputLimit
	}
	need := int64(len(b.buf)) + int64(len(p))
	if b.limit >= 0 && need > b.limit {
		b.exceeded = true
		if b.onExceed != nil {
			b.onExceed()
		}
		return 0, errOutputLimit
	}
	if need > int64(cap(b.buf)) {
		// Double, but never beyond the limit, so the memory used stays
		// below twice the limit in total allocations.
		newCap := max(int64(cap(b.buf))*2, need, 4096)
		if b.limit >= 0 {
			newCap = min(newCap, b.limit)
		}
		nb := make([]byte, len(b.buf), newCap)
		copy(nb, b.buf)
		b.buf = nb
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// ReadFrom reads r until end of file straight into the buffer, so that no
// intermediate copy buffer is needed. It stops with errOutputLimit as soon
// as one byte more than the limit is available.
func (b *outputBuffer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	for {
		if b.exceeded {
			return total, errOutputLimit
		}
		if len(b.buf) == cap(b.buf) {
			if b.limit >= 0 && int64(len(b.buf)) >= b.limit {
				// Full: any further byte is one too many.
				var probe [1]byte
				n, err := r.Read(probe[:])
				if n > 0 {
					_, werr := b.Write(probe[:n])
					return total, werr
				}
				if err == io.EOF {
					return total, nil
				}
				if err != nil {
					return total, err
				}
				continue
			}
			newCap := max(int64(cap(b.buf))*2, 512)
			if b.limit >= 0 {
				newCap = min(newCap, b.limit)
			}
			nb := make([]byte, len(b.buf), newCap)
			copy(nb, b.buf)
			b.buf = nb
		}
		n, err := r.Read(b.buf[len(b.buf):cap(b.buf)])
		b.buf = b.buf[:len(b.buf)+n]
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// stderrBuffer keeps the first stderrHeadBytes and the last stderrTailBytes
// of a plugin's stderr, and copies everything to stream (if set) as it
// arrives. Errors from stream are ignored so that a failing log sink never
// makes the plugin fail.
type stderrBuffer struct {
	stream io.Writer
	head   []byte
	tail   []byte // ring buffer once full
	pos    int    // oldest byte of tail once it is full
	total  int64
}

func (s *stderrBuffer) Write(p []byte) (int, error) {
	n := len(p)
	s.total += int64(n)
	if s.stream != nil {
		_, _ = s.stream.Write(p)
	}
	if room := stderrHeadBytes - len(s.head); room > 0 {
		k := min(room, len(p))
		s.head = append(s.head, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 {
		return n, nil
	}
	if len(p) >= stderrTailBytes {
		if s.tail == nil {
			s.tail = make([]byte, 0, stderrTailBytes)
		}
		s.tail = append(s.tail[:0], p[len(p)-stderrTailBytes:]...)
		s.pos = 0
		return n, nil
	}
	if len(s.tail) < stderrTailBytes {
		if s.tail == nil {
			s.tail = make([]byte, 0, stderrTailBytes)
		}
		k := min(stderrTailBytes-len(s.tail), len(p))
		s.tail = append(s.tail, p[:k]...)
		p = p[k:]
	}
	for len(p) > 0 {
		k := copy(s.tail[s.pos:], p)
		s.pos = (s.pos + k) % stderrTailBytes
		p = p[k:]
	}
	return n, nil
}

// ReadFrom reads r until end of file, straight into the kept beginning
// while there is room and through a small scratch buffer afterwards.
func (s *stderrBuffer) ReadFrom(r io.Reader) (int64, error) {
	var total int64
	var scratch []byte
	for {
		var n int
		var err error
		if len(s.head) < stderrHeadBytes {
			if len(s.head) == cap(s.head) {
				nh := make([]byte, len(s.head), min(max(2*cap(s.head), 512), stderrHeadBytes))
				copy(nh, s.head)
				s.head = nh
			}
			n, err = r.Read(s.head[len(s.head):cap(s.head)])
			if n > 0 {
				p := s.head[len(s.head) : len(s.head)+n]
				s.head = s.head[:len(s.head)+n]
				s.total += int64(n)
				if s.stream != nil {
					_, _ = s.stream.Write(p)
				}
			}
		} else {
			if scratch == nil {
				scratch = make([]byte, 8192)
			}
			n, err = r.Read(scratch)
			if n > 0 {
				_, _ = s.Write(scratch[:n])
			}
		}
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Bytes returns the kept text; when some was dropped, a marker saying how
// much stands between the beginning and the end.
func (s *stderrBuffer) Bytes() []byte {
	if len(s.tail) == 0 {
		return s.head
	}
	kept := int64(len(s.head) + len(s.tail))
	out := make([]byte, 0, kept+48)
	out = append(out, s.head...)
	if omitted := s.total - kept; omitted > 0 {
		out = append(out, "\n[... "...)
		out = strconv.AppendInt(out, omitted, 10)
		out = append(out, " bytes omitted ...]\n"...)
	}
	out = append(out, s.tail[s.pos:]...)
	return append(out, s.tail[:s.pos]...)
}

// clip returns b if it is at most max bytes long, else its beginning and
// end with a marker between them.
func clip(b []byte, max int) []byte {
	if len(b) <= max {
		return b
	}
	half := max / 2
	out := make([]byte, 0, max+48)
	out = append(out, b[:half]...)
	out = append(out, "\n[... "...)
	out = strconv.AppendInt(out, int64(len(b)-2*half), 10)
	out = append(out, " bytes omitted ...]\n"...)
	return append(out, b[len(b)-half:]...)
}
