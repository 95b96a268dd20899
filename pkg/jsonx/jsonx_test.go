package jsonx_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/jsonx"
)

// readAll walks any JSON text with the Decoder: strings are collected, all
// other values are skipped; it returns the strings or the first error.
func readAll(data []byte) ([]string, error) {
	var d jsonx.Decoder
	d.Reset(data)
	var out []string
	var walk func() error
	walk = func() error {
		c, err := d.Peek()
		if err != nil {
			return err
		}
		switch c {
		case '"':
			s, _, err := d.ReadString()
			out = append(out, s)
			return err
		case '{':
			if _, err := d.ObjectStart("object"); err != nil {
				return err
			}
			for first := true; ; first = false {
				k, ok, err := d.ObjectKey(first)
				if err != nil || !ok {
					return err
				}
				out = append(out, string(k))
				if err := walk(); err != nil {
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
				if err := walk(); err != nil {
					return err
				}
			}
		}
		return d.Skip()
	}
	if err := walk(); err != nil {
		return nil, err
	}
	return out, d.End()
}

// stdStrings collects the same strings with encoding/json.
func stdStrings(v interface{}, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case []interface{}:
		for _, e := range x {
			stdStrings(e, out)
		}
	case map[string]interface{}:
		// Key order is lost in a map; only single-key objects are used
		// with keys in the tests below.
		for k, e := range x {
			*out = append(*out, k)
			stdStrings(e, out)
		}
	}
}

var validityCases = []string{
	`""`, `"abc"`, `"a\"b\\c\/d\b\f\n\r\t"`, `"\u00e9\u4e2d"`, `"\ud83d\ude00"`, `"\ud800"`, `"\udc00\ud800x"`,
	`"\ud800\u0041"`, "\"\xff\xfe\"", "\"a\xc3\"", `"\u2028"`, `[1,-0,0.5,1e10,1E+2,-1.25e-3]`, `{"a":[true,false,null]}`,
	`{"k\u0041":"v"}`, ` [ ] `, `{}`, `[[[[]]]]`,
	// invalid
	`"\x"`, `"\u12"`, `"\u12g4"`, "\"a\nb\"", `01`, `1.`, `.5`, `-`, `1e`, `1e+`, `[1,]`, `{"a":1,}`, `{"a" 1}`,
	`{a:1}`, `[1 2]`, `tru`, `nul`, `falsey`, `"abc`, `{"a":1}}`, `{"a":1} 2`, ``, ` `, `[`, `{"a"`, `+1`,
	`NaN`, `'a'`, `[1]x`, `{"a":"\u0000"}`,
}

func TestDecoderMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, in := range validityCases {
		t.Run(in, func(t *testing.T) {
			got, err := readAll([]byte(in))
			var v interface{}
			stdErr := json.Unmarshal([]byte(in), &v)
			if stdErr != nil {
				require.Error(t, err, "encoding/json refused: %v", stdErr)
				return
			}
			require.NoError(t, err)
			var want []string
			stdStrings(v, &want)
			assert.Equal(t, want, got)
		})
	}
}

func TestDecoderDepthLimit(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", jsonx.MaxDepth+1) + strings.Repeat("]", jsonx.MaxDepth+1)
	_, err := readAll([]byte(deep))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exceeded max depth")
	ok := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	_, err = readAll([]byte(ok))
	require.NoError(t, err)
}

func TestReadInt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    int
		null    bool
		typeErr bool
	}{
		{in: "0", want: 0},
		{in: "-0", want: 0},
		{in: "1500", want: 1500},
		{in: "-42", want: -42},
		{in: strconv.Itoa(math.MaxInt), want: math.MaxInt},
		{in: strconv.Itoa(math.MinInt), want: math.MinInt},
		{in: strconv.FormatUint(uint64(math.MaxInt)+1, 10), typeErr: true},
		{in: "-" + strconv.FormatUint(uint64(math.MaxInt)+2, 10), typeErr: true},
		{in: "99999999999999999999999", typeErr: true},
		{in: "1.5", typeErr: true},
		{in: "1e2", typeErr: true},
		{in: `"12"`, typeErr: true},
		{in: "true", typeErr: true},
		{in: "null", null: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var d jsonx.Decoder
			d.Reset([]byte(tc.in))
			v, null, err := d.ReadInt()
			if tc.typeErr {
				var te *jsonx.TypeError
				require.ErrorAs(t, err, &te)
				assert.Equal(t, "int", te.Type)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.null, null)
			assert.Equal(t, tc.want, v)
		})
	}
}

func TestFoldKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key, name string
		want      bool
	}{
		{"cniVersion", "cniVersion", true},
		{"CNIVERSION", "cniVersion", true},
		{"cniversion", "cniVersion", true},
		{"ſandbox", "sandbox", true}, // U+017F folds to S like encoding/json
		{"cniVersio", "cniVersion", false},
		{"cniVersionX", "cniVersion", false},
		{"", "a", false},
		{"\u212aey", "key", false}, // Kelvin sign upper-cases to itself
	} {
		assert.Equal(t, tc.want, jsonx.FoldKey([]byte(tc.key), tc.name), "%q vs %q", tc.key, tc.name)
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "plain", `q"b\s`, "<a&b>", "\x00\x01\b\f\n\r\t\x1f", "é中😀", "\u2028\u2029", "bad\xff\xfeutf8", "\xc3"} {
		want, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(jsonx.AppendString(nil, s)), "%q", s)
	}
}

func TestEncoderLayoutMatchesMarshalIndent(t *testing.T) {
	t.Parallel()
	build := func(indent string) []byte {
		e := jsonx.NewEncoder(nil, indent)
		e.ObjectStart()
		e.Key("a")
		e.Int(1)
		e.Key("empty")
		e.ObjectStart()
		e.ObjectEnd()
		e.Key("list")
		e.ArrayStart()
		e.String("x")
		e.Null()
		e.ObjectStart()
		e.Key("k")
		e.StringBytes([]byte("v<"))
		e.ObjectEnd()
		e.ArrayEnd()
		e.Key("none")
		e.ArrayStart()
		e.ArrayEnd()
		e.ObjectEnd()
		return e.Bytes()
	}
	type inner struct {
		K string `json:"k"`
	}
	v := struct {
		A     int           `json:"a"`
		Empty struct{}      `json:"empty"`
		List  []interface{} `json:"list"`
		None  []int         `json:"none"`
	}{A: 1, List: []interface{}{"x", nil, inner{K: "v<"}}, None: []int{}}
	want, err := json.MarshalIndent(v, "", "    ")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(build("    ")))
	compact, err := json.Marshal(v)
	require.NoError(t, err)
	assert.Equal(t, string(compact), string(build("")))
}

func TestErrorPaths(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	err := jsonx.InField(jsonx.InIndex(jsonx.InField(base, "address"), 1), "ips")
	var fe *jsonx.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "ips[1].address", fe.Path)
	assert.ErrorIs(t, err, base)
	assert.Equal(t, "boom", err.Error(), "the underlying text, as encoding/json's")
	assert.Equal(t, `boom in field "ips[1].address"`, fmt.Sprintf("%+v", err), "the path in the verbose form")
	assert.NoError(t, jsonx.InField(nil, "x"))
	assert.NoError(t, jsonx.InIndex(nil, 0))
}

// FuzzDecoder requires the Decoder to accept exactly the texts
// encoding/json accepts, to unescape strings the same way, and
// AppendString to encode like json.Marshal.
func FuzzDecoder(f *testing.F) {
	for _, s := range validityCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := readAll(data)
		require.Equal(t, json.Valid(data), err == nil, "jsonx: %v", err)
		var v interface{}
		if json.Unmarshal(data, &v) != nil {
			// Valid JSON that does not fit interface{} (a number beyond
			// float64): nothing more to compare.
			return
		}
		if s, ok := v.(string); ok {
			require.Equal(t, []string{s}, got)
		}
		if arr, ok := v.([]interface{}); ok && !hasObject(arr) {
			var want []string
			stdStrings(arr, &want)
			require.Equal(t, want, got)
		}
		want, err := json.Marshal(string(data))
		require.NoError(t, err)
		require.Equal(t, string(want), string(jsonx.AppendString(nil, string(data))))
	})
}

// hasObject reports whether v holds an object at any depth (whose key
// order a map would lose).
func hasObject(v interface{}) bool {
	switch x := v.(type) {
	case map[string]interface{}:
		return true
	case []interface{}:
		for _, e := range x {
			if hasObject(e) {
				return true
			}
		}
	}
	return false
}
