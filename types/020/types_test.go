package types020_test

import (
	"bytes"
	"encoding/json"
	"testing"

	ref020 "github.com/containernetworking/cni/pkg/types/020"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	types020 "github.com/cnirt/cni/types/020"
	_ "github.com/cnirt/cni/types/040"
)

const res020 = `{"cniVersion":"0.2.0",
	"ip4":{"ip":"198.18.0.5/24","gateway":"198.18.0.1","routes":[{"dst":"0.0.0.0/0"},{"dst":"198.19.0.0/16","gw":"198.18.0.254"}]},
	"ip6":{"ip":"2001:db8::5/64"},
	"dns":{"nameservers":["198.18.0.53"],"domain":"d.test"}}`

func TestNewResult(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, doc, version string
		ok                 bool
		// sameText: the reference's message is its own (not encoding/json's
		// wording), so ours must contain it.
		sameText bool
	}{
		{"explicit 0.2.0", res020, "0.2.0", true, false},
		{"missing version", `{"ip4":{"ip":"198.18.0.5/24"}}`, "0.1.0", true, false},
		{"null document", `null`, "0.1.0", true, false},
		{"0.1.0", `{"cniVersion":"0.1.0"}`, "0.1.0", true, false},
		{"0.3.0 refused", `{"cniVersion":"0.3.0"}`, "", false, true},
		{"bad ip", `{"ip4":{"ip":"198.18.0.5"}}`, "", false, true},
		{"ip4 wrong type", `{"ip4":[]}`, "", false, false},
		{"route wrong type", `{"ip4":{"ip":"198.18.0.5/24","routes":{}}}`, "", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := types020.NewResult([]byte(tc.doc))
			_, refErr := ref020.NewResult([]byte(tc.doc))
			assert.Equal(t, refErr == nil, err == nil, "reference error: %v", refErr)
			if !tc.ok {
				require.Error(t, err)
				if tc.sameText {
					assert.Contains(t, err.Error(), refErr.Error())
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.version, r.Version())
		})
	}
}

func TestConvert010And020(t *testing.T) {
	t.Parallel()
	r, err := types020.NewResult([]byte(res020))
	require.NoError(t, err)
	old, err := r.GetAsVersion("0.1.0")
	require.NoError(t, err)
	assert.Equal(t, "0.1.0", old.Version())
	back, err := types020.GetResult(old)
	require.NoError(t, err)
	assert.Equal(t, "0.2.0", back.CNIVersion)
	back.IP4.Routes[0].MTU = 1
	assert.Equal(t, 0, r.(*types020.Result).IP4.Routes[0].MTU, "conversion deep-copies")

	// Empty requested version means 0.1.0.
	empty, err := r.GetAsVersion("")
	require.NoError(t, err)
	assert.Equal(t, "0.1.0", empty.Version())

	_, err = r.GetAsVersion("9.9.9")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no converter for CNI result version 0.2.0 to 9.9.9")
}

func TestPrintAndMarshalMatchReference(t *testing.T) {
	t.Parallel()
	var ours types020.Result
	var ref ref020.Result
	require.NoError(t, json.Unmarshal([]byte(res020), &ours))
	require.NoError(t, json.Unmarshal([]byte(res020), &ref))
	var a, b bytes.Buffer
	require.NoError(t, ref.PrintTo(&a))
	require.NoError(t, ours.PrintTo(&b))
	assert.Equal(t, a.String(), b.String())

	ja, err := json.Marshal(ref.IP4)
	require.NoError(t, err)
	jb, err := json.Marshal(ours.IP4)
	require.NoError(t, err)
	assert.Equal(t, string(ja), string(jb))

	var c types020.IPConfig
	require.NoError(t, json.Unmarshal(jb, &c))
	assert.Equal(t, *ours.IP4, c)
	assert.Nil(t, (*types020.IPConfig)(nil).Copy())
}
