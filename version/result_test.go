package version_test

import (
	"bytes"
	"encoding/json"
	"testing"

	reftypes "github.com/containernetworking/cni/pkg/types"
	refversion "github.com/containernetworking/cni/pkg/version"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/version"
)

const (
	result100 = `{"cniVersion":"1.0.0","interfaces":[{"name":"eth0","mac":"0a:58:c6:12:00:02","sandbox":"/var/run/netns/x"}],` +
		`"ips":[{"address":"198.18.0.2/24","gateway":"198.18.0.1","interface":0}],` +
		`"routes":[{"dst":"0.0.0.0/0","gw":"198.18.0.1"}],"dns":{"nameservers":["198.18.0.53"]}}`
	result040 = `{"cniVersion":"0.4.0","interfaces":[{"name":"eth0"}],` +
		`"ips":[{"version":"4","address":"198.18.0.2/24","gateway":"198.18.0.1","interface":0}]}`
	result020 = `{"cniVersion":"0.2.0","ip4":{"ip":"198.18.0.2/24","gateway":"198.18.0.1"}}`
)

func TestNewResultMatchesReference(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ ver, in string }{
		{"1.0.0", result100},
		{"1.1.0", result100},
		{"0.4.0", result040},
		{"0.3.1", result040},
		{"0.2.0", result020},
		{"0.1.0", result020},
		{"9.9.9", result100},
		{"1.0.0", `garbage`},
		{"1.0.0", result040},
	} {
		got, err := version.NewResult(tc.ver, []byte(tc.in))
		want, rerr := refversion.NewResult(tc.ver, []byte(tc.in))
		errorContains(t, err, rerr, "%s %s", tc.ver, tc.in)
		if rerr != nil {
			continue
		}
		require.NotNil(t, got)
		assert.Equal(t, want.Version(), got.Version(), "%s %s", tc.ver, tc.in)
		var gb, wb bytes.Buffer
		require.NoError(t, got.PrintTo(&gb))
		require.NoError(t, want.PrintTo(&wb))
		assert.JSONEq(t, wb.String(), gb.String(), "%s %s", tc.ver, tc.in)
	}
}

func TestParsePrevResultMatchesReference(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, conf string
	}{
		{"1.0.0 with prevResult", `{"cniVersion":"1.0.0","name":"n","prevResult":` + result100 + `}`},
		{"0.4.0 prevResult without version", `{"cniVersion":"0.4.0","name":"n","prevResult":{"ips":[{"version":"4","address":"198.18.0.2/24"}]}}`},
		{"0.2.0 prevResult without version", `{"cniVersion":"0.2.0","name":"n","prevResult":{"ip4":{"ip":"198.18.0.2/24"}}}`},
		{"CNIVersion spelling", `{"cniVersion":"0.4.0","name":"n","prevResult":{"CNIVersion":"0.4.0","ips":[]}}`},
		{"no prevResult", `{"cniVersion":"1.0.0","name":"n"}`},
		{"family mismatch", `{"cniVersion":"1.0.0","name":"n","prevResult":` + result040 + `}`},
		{"unknown version", `{"cniVersion":"7.0.0","name":"n","prevResult":{}}`},
		{"bad ips", `{"cniVersion":"1.0.0","name":"n","prevResult":{"ips":[{"address":"nope"}]}}`},
	} {
		var conf types.PluginConf
		require.NoError(t, json.Unmarshal([]byte(tc.conf), &conf), tc.name)
		var rconf reftypes.PluginConf
		require.NoError(t, json.Unmarshal([]byte(tc.conf), &rconf), tc.name)
		hadPrev := conf.RawPrevResult != nil

		err := version.ParsePrevResult(&conf)
		rerr := refversion.ParsePrevResult(&rconf)
		errorContains(t, err, rerr, tc.name)
		assert.Nil(t, conf.RawPrevResult, tc.name)
		if rerr != nil {
			continue
		}
		if !hadPrev {
			assert.Nil(t, conf.PrevResult, tc.name)
			continue
		}
		require.NotNil(t, conf.PrevResult, tc.name)
		assert.Equal(t, rconf.PrevResult.Version(), conf.PrevResult.Version(), tc.name)
		var gb, wb bytes.Buffer
		require.NoError(t, conf.PrevResult.PrintTo(&gb))
		require.NoError(t, rconf.PrevResult.PrintTo(&wb))
		assert.JSONEq(t, wb.String(), gb.String(), tc.name)
	}
	assert.NoError(t, version.ParsePrevResult(nil))
}
