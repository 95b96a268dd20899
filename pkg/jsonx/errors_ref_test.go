package jsonx

import (
	"encoding/json"
	"fmt"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestErrorTextsStartLikeEncodingJSON: cnirt's decoders replace
// encoding/json, so their error texts begin with encoding/json's for the
// same input (callers match on them) and add the offset after it.
func TestSyntaxErrorTextIsEncodingJSONs(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`adfadsfasdfasfdsafaf`, `{{{`, `{"a":}`, `[1,2`, ``} {
		var v any
		ref := json.Unmarshal([]byte(in), &v)
		require.Error(t, ref)
		var d Decoder
		d.Reset([]byte(in))
		err := d.Skip()
		if err == nil {
			err = d.End()
		}
		require.Error(t, err, "input %q", in)
		assert.Equal(t, ref.Error(), err.Error(), "input %q", in)
		assert.Regexp(t, `^`+regexp.QuoteMeta(ref.Error())+` \(offset \d+\)$`, fmt.Sprintf("%+v", err))
	}
	te := &TypeError{Offset: 12, Value: "number", Literal: "5", Type: "string"}
	assert.Equal(t, "json: cannot unmarshal number into Go value of type string", te.Error())
	assert.Equal(t, "json: cannot unmarshal number 5 into Go value of type string (offset 12)", fmt.Sprintf("%+v", te))
	fe := InField(te, "address")
	assert.Equal(t, te.Error(), fe.Error(), "no struct known: the value's text")
	fe = InStruct(InField(InIndex(fe, 0), "ips"), "Result")
	assert.Equal(t, "json: cannot unmarshal number into Go struct field Result.ips.address of type string", fe.Error())
	assert.Equal(t, `json: cannot unmarshal number 5 into Go value of type string (offset 12) in field "ips[0].address"`, fmt.Sprintf("%+v", fe))
}
