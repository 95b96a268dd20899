package types040_test

import (
	"bytes"
	"encoding/json"
	"net"
	"testing"

	ref040 "github.com/containernetworking/cni/pkg/types/040"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	types020 "github.com/cnirt/cni/types/020"
	types040 "github.com/cnirt/cni/types/040"
	_ "github.com/cnirt/cni/types/100"
)

const res031 = `{"cniVersion":"0.3.1",
	"interfaces":[{"name":"br0","mac":"0a:58:c6:12:00:01"},{"name":"eth0","sandbox":"/var/run/netns/x"}],
	"ips":[{"version":"4","interface":1,"address":"198.18.0.5/24","gateway":"198.18.0.1"},
	       {"version":"6","interface":1,"address":"2001:db8::5/64"},
	       {"version":"4","address":"198.18.0.6/24"}],
	"routes":[{"dst":"0.0.0.0/0","gw":"198.18.0.1"},{"dst":"::/0"},{"dst":"198.19.0.0/16","mtu":1400}],
	"dns":{"nameservers":["198.18.0.53"]}}`

func TestNewResultVersions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version string
		ok      bool
	}{
		{"0.3.0", true}, {"0.3.1", true}, {"0.4.0", true},
		{"", false}, {"0.2.0", false}, {"1.0.0", false}, {"0.4", false},
	} {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			doc := []byte(`{"cniVersion":"` + tc.version + `"}`)
			r, err := types040.NewResult(doc)
			_, refErr := ref040.NewResult(doc)
			assert.Equal(t, refErr == nil, err == nil)
			if !tc.ok {
				require.Error(t, err)
				assert.Contains(t, err.Error(), refErr.Error())
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.version, r.Version())
		})
	}
}

func TestConvertTo020KeepsFirstOfEachFamily(t *testing.T) {
	t.Parallel()
	r, err := types040.NewResult([]byte(res031))
	require.NoError(t, err)
	conv, err := r.GetAsVersion("0.2.0")
	require.NoError(t, err)
	r020, ok := conv.(*types020.Result)
	require.True(t, ok)
	require.NotNil(t, r020.IP4)
	require.NotNil(t, r020.IP6)
	assert.Equal(t, "198.18.0.5/24", r020.IP4.IP.String())
	assert.Equal(t, "2001:db8::5/64", r020.IP6.IP.String())
	require.Len(t, r020.IP4.Routes, 2)
	assert.Equal(t, 0, r020.IP4.Routes[1].MTU, "0.2.0 routes have no MTU")
	require.Len(t, r020.IP6.Routes, 1)
	assert.Equal(t, []string{"198.18.0.53"}, r020.DNS.Nameservers)
}

func TestConvertBetween03xAnd04x(t *testing.T) {
	t.Parallel()
	r, err := types040.NewResult([]byte(res031))
	require.NoError(t, err)
	up, err := types040.GetResult(r)
	require.NoError(t, err)
	assert.Equal(t, "0.4.0", up.CNIVersion)
	assert.Equal(t, r.(*types040.Result).IPs[0].Address.String(), up.IPs[0].Address.String())
	up.Interfaces[0].Name = "changed"
	assert.Equal(t, "br0", r.(*types040.Result).Interfaces[0].Name, "conversion deep-copies")

	down, err := up.GetAsVersion("0.3.0")
	require.NoError(t, err)
	assert.Equal(t, "0.3.0", down.Version())

	from020, err := types040.NewResultFromResult(&types020.Result{CNIVersion: "0.2.0",
		IP6: &types020.IPConfig{IP: net.IPNet{IP: net.ParseIP("2001:db8::5"), Mask: net.CIDRMask(64, 128)}}})
	require.NoError(t, err)
	require.Len(t, from020.IPs, 1)
	assert.Equal(t, "6", from020.IPs[0].Version)
}

func TestPrintMatchesReferenceBytes(t *testing.T) {
	t.Parallel()
	var ours types040.Result
	var ref ref040.Result
	require.NoError(t, json.Unmarshal([]byte(res031), &ours))
	require.NoError(t, json.Unmarshal([]byte(res031), &ref))
	var a, b bytes.Buffer
	require.NoError(t, ref.PrintTo(&a))
	require.NoError(t, ours.PrintTo(&b))
	assert.Equal(t, a.String(), b.String())
	ja, err := json.Marshal(&ref)
	require.NoError(t, err)
	jb, err := json.Marshal(&ours)
	require.NoError(t, err)
	assert.Equal(t, string(ja), string(jb))
}

func TestIPConfigAndInterface(t *testing.T) {
	t.Parallel()
	var c types040.IPConfig
	require.NoError(t, json.Unmarshal([]byte(`{"version":"4","interface":0,"address":"198.18.0.5/24"}`), &c))
	b, err := json.Marshal(&c)
	require.NoError(t, err)
	assert.JSONEq(t, `{"version":"4","interface":0,"address":"198.18.0.5/24"}`, string(b))
	cp := c.Copy()
	*cp.Interface = 4
	assert.Equal(t, 0, *c.Interface)
	assert.Contains(t, c.String(), "Version:4")
	assert.Nil(t, (*types040.IPConfig)(nil).Copy())
	assert.Error(t, json.Unmarshal([]byte(`{"version":4}`), &c))

	i := &types040.Interface{Name: "eth0", Mac: "m"}
	assert.Equal(t, "{Name:eth0 Mac:m Sandbox:}", i.String())
	assert.Equal(t, *i, *i.Copy())
	assert.Nil(t, (*types040.Interface)(nil).Copy())
	assert.Equal(t, 3, *types040.Int(3))
}

func TestNullElementsDoNotPanic(t *testing.T) {
	t.Parallel()
	r, err := types040.NewResult([]byte(`{"cniVersion":"0.4.0","interfaces":[null],"ips":[null],"routes":[null]}`))
	require.NoError(t, err)
	for _, v := range []string{"0.2.0", "0.3.0", "1.0.0"} {
		require.NotPanics(t, func() { _, _ = r.GetAsVersion(v) })
	}
	_, err = r.GetAsVersion("1.0.0")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "interfaces[0] is null")
	var buf bytes.Buffer
	require.NoError(t, r.PrintTo(&buf))
	assert.Contains(t, buf.String(), "null")
}
