package types_test

import (
	"encoding/json"
	"net"
	"testing"

	reftypes "github.com/containernetworking/cni/pkg/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/types"
)

func TestIPNetJSONMatchesReference(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`"198.18.0.5/24"`, `"2001:db8::5/64"`, `"::ffff:198.18.0.5/120"`, `"0.0.0.0/0"`, `"198.18.0.5"`, `"x/24"`, `5`, `null`, `"198.18.0.5/33"`} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			var ours types.IPNet
			var ref reftypes.IPNet
			errOurs := json.Unmarshal([]byte(in), &ours)
			errRef := json.Unmarshal([]byte(in), &ref)
			require.Equal(t, errRef == nil, errOurs == nil, "ref %v ours %v", errRef, errOurs)
			if errRef != nil {
				return
			}
			a, err := json.Marshal(ref)
			require.NoError(t, err)
			b, err := json.Marshal(ours)
			require.NoError(t, err)
			assert.Equal(t, string(a), string(b))
		})
	}
	b, err := json.Marshal(types.IPNet{})
	require.NoError(t, err)
	assert.Equal(t, `"\u003cnil\u003e"`, string(b), "a zero network encodes like the reference")
}

func TestParseCIDRKeepsHostBits(t *testing.T) {
	t.Parallel()
	n, err := types.ParseCIDR("198.18.0.5/24")
	require.NoError(t, err)
	assert.Equal(t, "198.18.0.5/24", n.String())
	_, err = types.ParseCIDR("198.18.0.5")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid CIDR address: 198.18.0.5")
}

func TestRouteJSONRoundTrip(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		`{"dst":"0.0.0.0/0"}`,
		`{"dst":"198.19.0.0/16","gw":"198.18.0.1","mtu":1400,"advmss":1360,"priority":5,"table":100,"scope":253}`,
		`{"dst":"2001:db8::/32","table":0,"scope":0}`,
		`{"DST":"2001:db8::/32","GW":"2001:db8::1","extra":1}`,
		`{}`,
		`{"dst":"bad"}`,
		`{"dst":"0.0.0.0/0","mtu":"1"}`,
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			var ours types.Route
			var ref reftypes.Route
			errOurs := json.Unmarshal([]byte(in), &ours)
			errRef := json.Unmarshal([]byte(in), &ref)
			require.Equal(t, errRef == nil, errOurs == nil, "ref %v ours %v", errRef, errOurs)
			if errRef != nil {
				return
			}
			a, err := json.Marshal(ref)
			require.NoError(t, err)
			b, err := json.Marshal(ours)
			require.NoError(t, err)
			assert.JSONEq(t, string(a), string(b))
			assert.Equal(t, ref.String(), ours.String())

			// Decoding the output again succeeds or fails like the
			// reference (a missing dst encodes as "<nil>", which does not
			// parse back).
			var again types.Route
			var refAgain reftypes.Route
			errOurs = json.Unmarshal(b, &again)
			errRef = json.Unmarshal(a, &refAgain)
			require.Equal(t, errRef == nil, errOurs == nil)
			if errOurs == nil {
				assert.Equal(t, ours.String(), again.String())
			}
		})
	}
}

func TestRouteCopyIsDeep(t *testing.T) {
	t.Parallel()
	table, scope := 10, 20
	r := &types.Route{Dst: net.IPNet{IP: net.IPv4(198, 18, 0, 0), Mask: net.CIDRMask(15, 32)}, Table: &table, Scope: &scope, MTU: 9000}
	c := r.Copy()
	*c.Table, *c.Scope = 1, 2
	assert.Equal(t, 10, *r.Table)
	assert.Equal(t, 20, *r.Scope)
	assert.Equal(t, 9000, c.MTU)
	assert.Nil(t, (*types.Route)(nil).Copy())
}

func TestDNS(t *testing.T) {
	t.Parallel()
	var d types.DNS
	assert.True(t, d.IsEmpty())
	require.NoError(t, json.Unmarshal([]byte(`{"nameservers":["198.18.0.53"],"domain":"d","search":["s"],"options":["o"]}`), &d))
	assert.False(t, d.IsEmpty())
	c := d.Copy()
	c.Nameservers[0] = "x"
	assert.Equal(t, "198.18.0.53", d.Nameservers[0])
	assert.Nil(t, (*types.DNS)(nil).Copy())
	b, err := json.Marshal(types.DNS{})
	require.NoError(t, err)
	assert.Equal(t, `{}`, string(b))
}

func TestPluginConfMarshalOmitsEmptyDNS(t *testing.T) {
	t.Parallel()
	for _, in := range confSeeds {
		var ours types.PluginConf
		var ref reftypes.PluginConf
		if json.Unmarshal([]byte(in), &ref) != nil {
			continue
		}
		require.NoError(t, json.Unmarshal([]byte(in), &ours))
		a, err := json.Marshal(&ref)
		require.NoError(t, err)
		b, err := json.Marshal(&ours)
		require.NoError(t, err)
		assert.JSONEq(t, string(a), string(b), in)
	}
}

func TestErrorJSON(t *testing.T) {
	t.Parallel()
	e := types.NewError(types.ErrTryAgainLater, "busy", "retry later")
	assert.Equal(t, "busy; retry later", e.Error())
	b, err := json.Marshal(e)
	require.NoError(t, err)
	assert.JSONEq(t, `{"code":11,"msg":"busy","details":"retry later"}`, string(b))
	assert.Equal(t, "busy", types.NewError(1, "busy", "").Error())
}

func TestErrorCodesMatchReference(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		ours, ref uint
		want      uint
	}{
		{"ErrUnknown", types.ErrUnknown, reftypes.ErrUnknown, 0},
		{"ErrIncompatibleCNIVersion", types.ErrIncompatibleCNIVersion, reftypes.ErrIncompatibleCNIVersion, 1},
		{"ErrUnsupportedField", types.ErrUnsupportedField, reftypes.ErrUnsupportedField, 2},
		{"ErrUnknownContainer", types.ErrUnknownContainer, reftypes.ErrUnknownContainer, 3},
		{"ErrInvalidEnvironmentVariables", types.ErrInvalidEnvironmentVariables, reftypes.ErrInvalidEnvironmentVariables, 4},
		{"ErrIOFailure", types.ErrIOFailure, reftypes.ErrIOFailure, 5},
		{"ErrDecodingFailure", types.ErrDecodingFailure, reftypes.ErrDecodingFailure, 6},
		{"ErrInvalidNetworkConfig", types.ErrInvalidNetworkConfig, reftypes.ErrInvalidNetworkConfig, 7},
		{"ErrInvalidNetNS", types.ErrInvalidNetNS, reftypes.ErrInvalidNetNS, 8},
		{"ErrTryAgainLater", types.ErrTryAgainLater, reftypes.ErrTryAgainLater, 11},
		{"ErrPluginNotAvailable", types.ErrPluginNotAvailable, reftypes.ErrPluginNotAvailable, 50},
		{"ErrLimitedConnectivity", types.ErrLimitedConnectivity, reftypes.ErrLimitedConnectivity, 51},
		{"ErrInternal", types.ErrInternal, reftypes.ErrInternal, 999},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tc.want, tc.ours, "value of types.%s", tc.name)
			assert.Equal(t, tc.ref, tc.ours, "types.%s differs from the reference", tc.name)
		})
	}
}
