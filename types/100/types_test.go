package types100_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	ref100 "github.com/containernetworking/cni/pkg/types/100"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/pkg/jsonx"
	"github.com/cnirt/cni/types"
	types040 "github.com/cnirt/cni/types/040"
	types100 "github.com/cnirt/cni/types/100"
	"github.com/cnirt/cni/types/create"
)

const full110 = `{"cniVersion":"1.1.0",
	"interfaces":[{"name":"eth0","mac":"00:11:22:33:44:55","mtu":1500,"sandbox":"/var/run/netns/a","socketPath":"/run/vhost.sock","pciID":"0000:00:1f.6"}],
	"ips":[{"interface":0,"address":"198.18.0.5/24","gateway":"198.18.0.1"},{"address":"2001:db8::5/64"}],
	"routes":[{"dst":"0.0.0.0/0","gw":"198.18.0.1","mtu":1400,"advmss":1360,"priority":10,"table":254,"scope":0}],
	"dns":{"nameservers":["198.18.0.53"],"domain":"example.test","search":["example.test"],"options":["ndots:5"]}}`

func TestNewResultFields(t *testing.T) {
	t.Parallel()
	r, err := types100.NewResult([]byte(full110))
	require.NoError(t, err)
	res := r.(*types100.Result)
	assert.Equal(t, "1.1.0", res.Version())
	require.Len(t, res.Interfaces, 1)
	assert.Equal(t, types100.Interface{Name: "eth0", Mac: "00:11:22:33:44:55", Mtu: 1500, Sandbox: "/var/run/netns/a",
		SocketPath: "/run/vhost.sock", PciID: "0000:00:1f.6"}, *res.Interfaces[0])
	require.Len(t, res.IPs, 2)
	require.NotNil(t, res.IPs[0].Interface)
	assert.Equal(t, 0, *res.IPs[0].Interface)
	assert.Nil(t, res.IPs[1].Interface)
	assert.Equal(t, "198.18.0.5/24", res.IPs[0].Address.String())
	assert.True(t, res.IPs[0].Gateway.Equal(net.ParseIP("198.18.0.1")))
	assert.Nil(t, res.IPs[1].Gateway)
	require.Len(t, res.Routes, 1)
	rt := res.Routes[0]
	assert.Equal(t, 1400, rt.MTU)
	assert.Equal(t, 1360, rt.AdvMSS)
	assert.Equal(t, 10, rt.Priority)
	require.NotNil(t, rt.Table)
	require.NotNil(t, rt.Scope)
	assert.Equal(t, 254, *rt.Table)
	assert.Equal(t, 0, *rt.Scope)
	assert.Equal(t, []string{"198.18.0.53"}, res.DNS.Nameservers)
}

func TestNewResultBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		contains []string
	}{
		{"not json", `not json`, []string{"invalid character"}},
		{"empty", ``, []string{"unexpected end"}},
		{"null", `null`, []string{`unmarshalled CNIVersion is ""`}},
		{"array", `[]`, []string{"array"}},
		{"unknown version", `{"cniVersion":"0.4.0"}`, []string{`result type supports [1.0.0 1.1.0] but unmarshalled CNIVersion is "0.4.0"`}},
		{"version type", `{"cniVersion":1}`, []string{"cniVersion", "number 1"}},
		{"interfaces object", `{"cniVersion":"1.0.0","interfaces":{}}`, []string{`"interfaces"`, "object"}},
		{"mtu string", `{"cniVersion":"1.0.0","interfaces":[{"name":"a","mtu":"9000"}]}`, []string{`"interfaces[0].mtu"`}},
		{"huge number", `{"cniVersion":"1.0.0","routes":[{"dst":"0.0.0.0/0","mtu":1e400}]}`, []string{`"routes[0].mtu"`, "number 1e400"}},
		{"overflow", `{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.5/24","interface":18446744073709551616}]}`, []string{`"ips[0].interface"`}},
		{"invalid cidr", `{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.500/24"}]}`, []string{`"ips[0].address"`, "invalid CIDR address: 198.18.0.500/24"}},
		{"cidr without mask", `{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.5"}]}`, []string{"invalid CIDR address: 198.18.0.5"}},
		{"invalid gateway", `{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.5/24","gateway":"gw"}]}`, []string{`"ips[0].gateway"`, "invalid IP address: gw"}},
		{"invalid route dst", `{"cniVersion":"1.0.0","routes":[{},{"dst":"::/129"}]}`, []string{`"routes[1].dst"`, "invalid CIDR address: ::/129"}},
		{"trailing data", `{"cniVersion":"1.0.0"}{}`, []string{"after top-level value"}},
		{"unterminated", `{"cniVersion":"1.0.0"`, []string{"unexpected end"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var r types.Result
			var err error
			require.NotPanics(t, func() { r, err = types100.NewResult([]byte(tc.in)) })
			require.Error(t, err)
			assert.Nil(t, r)
			for _, c := range tc.contains {
				// The text is encoding/json's; the verbose form has the
				// JSON path and the literal.
				assert.Contains(t, fmt.Sprintf("%+v", err), c)
			}
		})
	}
}

func TestNewResultErrorTypes(t *testing.T) {
	t.Parallel()
	_, err := types100.NewResult([]byte(`{"cniVersion":"0.3.1"}`))
	var ve *create.VersionError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, "0.3.1", ve.Version)

	_, err = types100.NewResult([]byte(`{"cniVersion":"1.0.0","ips":[{"address":"x"}]}`))
	var pe *net.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "CIDR address", pe.Type)
	var fe *jsonx.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "ips[0].address", fe.Path)

	_, err = types100.NewResult([]byte(`{"cniVersion":"1.0.0","interfaces":[{"mtu":true}]}`))
	var te *jsonx.TypeError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "bool", te.Value)

	_, err = types100.NewResult([]byte(`{"cniVersion":"1.0.0",`))
	var se *jsonx.SyntaxError
	require.ErrorAs(t, err, &se)
}

func TestConversionErrors(t *testing.T) {
	t.Parallel()
	r, err := types100.NewResult([]byte(`{"cniVersion":"1.1.0","interfaces":[{"name":"eth0"}]}`))
	require.NoError(t, err)

	_, err = r.GetAsVersion("1.2.0")
	var ce *create.ConversionError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "1.1.0", ce.From)
	assert.Equal(t, "1.2.0", ce.To)
	assert.Contains(t, err.Error(), "no converter for CNI result version 1.1.0 to 1.2.0")

	_, err = r.GetAsVersion("0.2.0")
	require.ErrorAs(t, err, &ce)
	// Exactly the reference's text: plugins pass it on as their message.
	assert.Equal(t, "cannot convert: no valid IP addresses", err.Error())
	assert.Equal(t, "1.1.0", ce.From)
	assert.Equal(t, "0.2.0", ce.To)

	// A nil list element cannot be converted; the error names it.
	bad := &types100.Result{CNIVersion: "1.0.0", IPs: []*types100.IPConfig{nil}}
	require.NotPanics(t, func() { _, err = bad.GetAsVersion("0.4.0") })
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "ips[0] is null")

	// A result whose Go type does not match its version is refused.
	wrong := &types100.Result{CNIVersion: "0.4.0"}
	require.NotPanics(t, func() { _, err = wrong.GetAsVersion("1.0.0") })
	require.ErrorAs(t, err, &ce)
}

func TestGetAsVersionEmptyVersion(t *testing.T) {
	t.Parallel()
	r := &types100.Result{IPs: []*types100.IPConfig{{Address: mustCIDR(t, "198.18.0.5/24")}}}
	out, err := r.GetAsVersion("0.4.0")
	require.NoError(t, err)
	assert.Equal(t, types100.ImplementedSpecVersion, r.CNIVersion, "unset version becomes the implemented one")
	r040, ok := out.(*types040.Result)
	require.True(t, ok)
	assert.Equal(t, "4", r040.IPs[0].Version)

	same, err := r.GetAsVersion("1.1.0")
	require.NoError(t, err)
	assert.Same(t, r, same)
}

func mustCIDR(t *testing.T, s string) net.IPNet {
	t.Helper()
	n, err := types.ParseCIDR(s)
	require.NoError(t, err)
	return *n
}

func TestConvertedCopiesAreIndependent(t *testing.T) {
	t.Parallel()
	r, err := types100.NewResult([]byte(full110))
	require.NoError(t, err)
	conv, err := r.GetAsVersion("1.0.0")
	require.NoError(t, err)
	c := conv.(*types100.Result)
	c.Interfaces[0].Name = "changed"
	*c.IPs[0].Interface = 9
	*c.Routes[0].Table = 1
	c.DNS.Nameservers[0] = "changed"
	orig := r.(*types100.Result)
	assert.Equal(t, "eth0", orig.Interfaces[0].Name)
	assert.Equal(t, 0, *orig.IPs[0].Interface)
	assert.Equal(t, 254, *orig.Routes[0].Table)
	assert.Equal(t, "198.18.0.53", orig.DNS.Nameservers[0])
}

func TestJSONRoundTripMatchesReference(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{full110, `{"cniVersion":"1.0.0"}`, `{"cniVersion":"1.0.0","ips":[{"address":"2001:db8::5/64"}],"dns":{}}`} {
		var ours types100.Result
		var ref ref100.Result
		require.NoError(t, json.Unmarshal([]byte(doc), &ours))
		require.NoError(t, json.Unmarshal([]byte(doc), &ref))

		a, err := json.Marshal(&ref)
		require.NoError(t, err)
		b, err := json.Marshal(&ours)
		require.NoError(t, err)
		assert.JSONEq(t, string(a), string(b))

		var pa, pb bytes.Buffer
		require.NoError(t, ref.PrintTo(&pa))
		require.NoError(t, ours.PrintTo(&pb))
		assert.Equal(t, pa.String(), pb.String(), "same bytes, including key order and indentation")

		// Decoding our own output gives back the same result.
		var again types100.Result
		require.NoError(t, json.Unmarshal(b, &again))
		assert.Equal(t, ours, again)
	}
}

func TestMarshalErrors(t *testing.T) {
	t.Parallel()
	r := &types100.Result{CNIVersion: "1.0.0", IPs: []*types100.IPConfig{{Address: mustCIDR(t, "198.18.0.5/24"), Gateway: net.IP{1, 2, 3}}}}
	_, err := json.Marshal(r)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid IP address")
	assert.Error(t, r.PrintTo(&bytes.Buffer{}))
}

func TestIPConfigJSON(t *testing.T) {
	t.Parallel()
	var c types100.IPConfig
	require.NoError(t, json.Unmarshal([]byte(`{"interface":2,"address":"2001:db8::5/64","gateway":"2001:db8::1"}`), &c))
	require.NotNil(t, c.Interface)
	assert.Equal(t, 2, *c.Interface)
	b, err := json.Marshal(&c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"interface":2,"address":"2001:db8::5/64","gateway":"2001:db8::1"}`, string(b))

	cp := c.Copy()
	*cp.Interface = 3
	assert.Equal(t, 2, *c.Interface)
	assert.Nil(t, (*types100.IPConfig)(nil).Copy())
	assert.True(t, strings.HasPrefix(c.String(), "{Interface:"), c.String())

	assert.Error(t, json.Unmarshal([]byte(`{"address":"bad"}`), &c))
}

func TestInterfaceHelpers(t *testing.T) {
	t.Parallel()
	i := &types100.Interface{Name: "eth0", Mtu: 1500, PciID: "0000:00:01.0"}
	cp := i.Copy()
	cp.Name = "x"
	assert.Equal(t, "eth0", i.Name)
	assert.Nil(t, (*types100.Interface)(nil).Copy())
	assert.Equal(t, "{Name:eth0 Mac: Mtu:1500 Sandbox: SocketPath: PciID:0000:00:01.0}", i.String())
	p := types100.Int(7)
	assert.Equal(t, 7, *p)
	assert.NotSame(t, p, types100.Int(7))
}

func TestGetResultAndNewResultFromResult(t *testing.T) {
	t.Parallel()
	r040, err := types040.NewResult([]byte(`{"cniVersion":"0.3.1","ips":[{"version":"4","address":"198.18.0.5/24"}]}`))
	require.NoError(t, err)
	got, err := types100.GetResult(r040)
	require.NoError(t, err)
	assert.Equal(t, "1.1.0", got.CNIVersion)
	got2, err := types100.NewResultFromResult(r040)
	require.NoError(t, err)
	assert.Equal(t, got, got2)

	_, err = types100.NewResultFromResult(&types100.Result{CNIVersion: "7.0.0"})
	assert.Error(t, err)
	_, err = types100.GetResult(&types100.Result{CNIVersion: "7.0.0"})
	assert.Error(t, err)
	assert.False(t, errors.Is(err, nil))
}

func TestNilResultIsRefused(t *testing.T) {
	t.Parallel()
	var err error
	require.NotPanics(t, func() { _, err = types100.NewResultFromResult(nil) })
	assert.Error(t, err)
}

// TestConversionErrorTextsMatchReference: the texts of refused conversions
// are the reference's, whole (they reach runtimes as plugins' messages).
func TestConversionErrorTextsMatchReference(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ doc, to string }{
		{`{"cniVersion":"1.1.0","interfaces":[{"name":"eth0"}]}`, "0.2.0"},
		{`{"cniVersion":"1.0.0"}`, "0.1.0"},
		{`{"cniVersion":"1.1.0","interfaces":[{"name":"eth0"}]}`, "1.2.0"},
	} {
		ours, err := types100.NewResult([]byte(tc.doc))
		require.NoError(t, err)
		ref, err := ref100.NewResult([]byte(tc.doc))
		require.NoError(t, err)
		_, oursErr := ours.GetAsVersion(tc.to)
		_, refErr := ref.GetAsVersion(tc.to)
		require.Error(t, refErr, tc.doc)
		require.Error(t, oursErr, tc.doc)
		assert.Equal(t, refErr.Error(), oursErr.Error(), "%s to %s", tc.doc, tc.to)
	}
}
