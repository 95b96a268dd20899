package invoke

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStderrBuffer(t *testing.T) {
	t.Parallel()
	const keep = stderrHeadBytes + stderrTailBytes
	cases := []struct {
		name   string
		total  int
		chunks []int // chunk sizes cycled through
	}{
		{name: "empty", total: 0, chunks: []int{1}},
		{name: "small", total: 100, chunks: []int{7}},
		{name: "exactly head", total: stderrHeadBytes, chunks: []int{4096}},
		{name: "exactly both", total: keep, chunks: []int{1000}},
		{name: "one over", total: keep + 1, chunks: []int{keep + 1}},
		{name: "many small writes", total: 5 * keep, chunks: []int{1, 3, 17, 1000, 4095}},
		{name: "huge single write", total: 10 * keep, chunks: []int{10 * keep}},
		{name: "mixed", total: 3*keep + 12345, chunks: []int{stderrTailBytes + 5, 3, stderrTailBytes - 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := make([]byte, tc.total)
			for i := range data {
				data[i] = byte('a' + rand.IntN(26))
			}
			var stream bytes.Buffer
			s := &stderrBuffer{stream: &stream}
			for i, off := 0, 0; off < len(data); i++ {
				n := min(tc.chunks[i%len(tc.chunks)], len(data)-off)
				w, err := s.Write(data[off : off+n])
				require.NoError(t, err)
				require.Equal(t, n, w)
				off += n
			}
			assert.Equal(t, string(data), stream.String())
			got := s.Bytes()

			// Reading from a pipe-like reader keeps exactly the same text.
			var stream2 bytes.Buffer
			s2 := &stderrBuffer{stream: &stream2}
			n, err := s2.ReadFrom(&chunkReader{data: data, sizes: tc.chunks})
			require.NoError(t, err)
			assert.Equal(t, int64(len(data)), n)
			assert.Equal(t, string(got), string(s2.Bytes()))
			assert.Equal(t, string(data), stream2.String())
			if tc.total <= keep {
				assert.Equal(t, string(data), string(got))
				return
			}
			marker := fmt.Sprintf("\n[... %d bytes omitted ...]\n", tc.total-keep)
			want := string(data[:stderrHeadBytes]) + marker + string(data[tc.total-stderrTailBytes:])
			assert.Equal(t, want, string(got))
		})
	}
}

func TestOutputBuffer(t *testing.T) {
	t.Parallel()
	exceeded := 0
	b := &outputBuffer{limit: 10, onExceed: func() { exceeded++ }}
	n, err := b.Write([]byte("12345"))
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	_, err = b.Write([]byte("67890"))
	require.NoError(t, err)
	assert.Equal(t, "1234567890", string(b.buf))
	assert.Equal(t, 10, cap(b.buf), "capacity never exceeds the limit")
	_, err = b.Write([]byte("x"))
	assert.ErrorIs(t, err, errOutputLimit)
	_, err = b.Write([]byte("y"))
	assert.ErrorIs(t, err, errOutputLimit)
	assert.Equal(t, 1, exceeded)
	assert.True(t, b.exceeded)

	unlimited := &outputBuffer{limit: -1}
	for range 1000 {
		_, err := unlimited.Write([]byte(strings.Repeat("z", 1000)))
		require.NoError(t, err)
	}
	assert.Len(t, unlimited.buf, 1000*1000)
}

// chunkReader returns data in reads of the given sizes, cycled.
type chunkReader struct {
	data  []byte
	sizes []int
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), c.sizes[c.i%len(c.sizes)])
	c.i++
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestOutputBufferReadFrom(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		limit   int64
		size    int
		wantErr bool
	}{
		{name: "empty", limit: 10, size: 0},
		{name: "under", limit: 1000, size: 999},
		{name: "exactly", limit: 1000, size: 1000},
		{name: "one over", limit: 1000, size: 1001, wantErr: true},
		{name: "far over", limit: 1000, size: 1 << 20, wantErr: true},
		{name: "unlimited", limit: -1, size: 3 << 20},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			data := bytes.Repeat([]byte("q"), tc.size)
			exceeded := 0
			b := &outputBuffer{limit: tc.limit, onExceed: func() { exceeded++ }}
			_, err := b.ReadFrom(&chunkReader{data: data, sizes: []int{1, 333, 70000}})
			if tc.wantErr {
				assert.ErrorIs(t, err, errOutputLimit)
				assert.Equal(t, 1, exceeded)
				assert.LessOrEqual(t, int64(cap(b.buf)), tc.limit)
				return
			}
			require.NoError(t, err)
			assert.Zero(t, exceeded)
			assert.Equal(t, len(data), len(b.buf))
		})
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "abc", string(clip([]byte("abc"), 3)))
	assert.Equal(t, "ab\n[... 6 bytes omitted ...]\nij", string(clip([]byte("abcdefghij"), 4)))
}
