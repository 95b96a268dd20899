package rawjson

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		set  []Member
		want string
	}{
		{"append to empty", `{}`, []Member{{"a", []byte(`1`)}}, `{"a":1}`},
		{"append to empty with spaces", ` { } `, []Member{{"a", []byte(`1`)}}, ` {"a":1 } `},
		{"append keeps order", `{"x":1}`, []Member{{"b", []byte(`2`)}, {"a", []byte(`3`)}}, `{"x":1,"b":2,"a":3}`},
		{"replace in place", `{"name":"old","type":"t"}`, []Member{{"name", []byte(`"new"`)}}, `{"name":"new","type":"t"}`},
		{"replace keeps whitespace", "{\n  \"a\" : [1, 2],\n  \"b\": {\"a\":0}\n}\n",
			[]Member{{"a", []byte(`true`)}}, "{\n  \"a\" : true,\n  \"b\": {\"a\":0}\n}\n"},
		{"nested key untouched", `{"b":{"name":"inner"}}`, []Member{{"name", []byte(`"n"`)}}, `{"b":{"name":"inner"},"name":"n"}`},
		{"duplicate keys all replaced", `{"a":1,"a":2}`, []Member{{"a", []byte(`3`)}}, `{"a":3,"a":3}`},
		{"escaped key matches", `{"na\u006de":1}`, []Member{{"name", []byte(`2`)}}, `{"na\u006de":2}`},
		{"strings with braces", `{"s":"}{\"]","n":-1.5e3}`, []Member{{"z", []byte(`null`)}}, `{"s":"}{\"]","n":-1.5e3,"z":null}`},
		{"trailing whitespace before brace", "{\"a\":1 \n}", []Member{{"b", []byte(`2`)}}, "{\"a\":1,\"b\":2 \n}"},
		{"key needing escape", `{}`, []Member{{"a\"b", []byte(`1`)}}, `{"a\"b":1}`},
		{"nothing to set", `{"a":1}`, nil, `{"a":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Splice([]byte(tt.in), tt.set...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
			assert.True(t, json.Valid(got))
		})
	}
}

func TestSpliceErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{``, `{`, `{"a":}`, `[1]`, `"x"`, `null`, `{"a":1}x`} {
		_, err := Splice([]byte(in), Member{"a", []byte(`1`)})
		assert.Error(t, err, "input %q", in)
	}
	_, err := Splice([]byte(`[]`))
	assert.ErrorIs(t, err, ErrNotObject)
}

func TestLookup(t *testing.T) {
	t.Parallel()
	v, ok, err := Lookup([]byte(`{"a":{"b":1}, "c" : [1,2] ,"a":"last"}`), "a")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, `"last"`, string(v))

	v, ok, err = Lookup([]byte(`{"a":{"b":1}, "c" : [1,2] }`), "c")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, `[1,2]`, string(v))

	_, ok, err = Lookup([]byte(`{"a":{"b":1}}`), "b")
	require.NoError(t, err)
	assert.False(t, ok)

	_, _, err = Lookup([]byte(`[1]`), "b")
	assert.ErrorIs(t, err, ErrNotObject)
}

// mapSplice is the obvious, allocation-heavy way to do what Splice does.
func mapSplice(obj []byte, set []Member) (map[string]any, error) {
	m := map[string]any{}
	if err := json.Unmarshal(obj, &m); err != nil {
		return nil, err
	}
	for _, s := range set {
		var v any
		if err := json.Unmarshal(s.Value, &v); err != nil {
			return nil, err
		}
		for k := range m {
			if strings.EqualFold(k, s.Key) {
				m[k] = v
			}
		}
		m[s.Key] = v
	}
	return m, nil
}

func FuzzSplice(f *testing.F) {
	seeds := []string{
		`{}`, `{"a":1}`, `{"name":"x","plugins":[{"type":"a"}]}`, ` {"a" : "}" , "b":[{"c":"]"}] } `,
		`{"na\u006de":1,"name":2}`, `{"type":"d","name":"a","Name":"evil"}`, `{"NAME":1}`, `{"\ud800":1}`, `{"x":1e400}`, `[]`, `nope`,
	}
	for _, s := range seeds {
		f.Add([]byte(s), "name", `"v"`, "prevResult")
	}
	f.Fuzz(func(t *testing.T, obj []byte, key1, val1, key2 string) {
		if !utf8.ValidString(key1) || !utf8.ValidString(key2) {
			t.Skip("keys are always valid UTF-8 in libcni")
		}
		v1, err := json.Marshal(val1)
		require.NoError(t, err)
		set := []Member{{Key: key1, Value: v1}, {Key: key2, Value: []byte(`{"k":[1,2]}`)}}
		if key1 == key2 {
			set = set[:1]
		}
		want, wantErr := mapSplice(obj, set)
		got, err := Splice(obj, set...)
		if wantErr != nil {
			// encoding/json refuses it; Splice must too unless the only
			// difference is a number out of float64 range, which is valid
			// JSON that the map decoder cannot hold.
			if err == nil {
				var raw map[string]json.RawMessage
				require.NoError(t, json.Unmarshal(got, &raw), "Splice accepted %q", obj)
			}
			return
		}
		require.NoError(t, err, "input %q", obj)
		require.True(t, json.Valid(got), "output %q of %q is not valid JSON", got, obj)
		var decoded map[string]any
		require.NoError(t, json.Unmarshal(got, &decoded))
		assert.Equal(t, want, decoded, "input %q output %q", obj, got)
	})
}
