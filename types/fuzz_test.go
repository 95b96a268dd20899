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

// decodedJSON parses JSON into a generic value for order-insensitive
// comparison.
func decodedJSON(t testing.TB, b []byte) interface{} {
	t.Helper()
	var v interface{}
	require.NoError(t, json.Unmarshal(b, &v), "JSON %q", b)
	return v
}

var confSeeds = []string{
	`{"cniVersion":"1.0.0","name":"net","type":"bridge","capabilities":{"portMappings":true},"ipam":{"type":"host-local"},"dns":{"nameservers":["198.18.0.53"]}}`,
	`{"cniVersion":"1.1.0","name":"gc","type":"x","cni.dev/valid-attachments":[{"containerID":"c","ifname":"eth0"}]}`,
	`{"cniVersion":"0.4.0","name":"n","type":"t","prevResult":{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.5/24"}]}}`,
	`{"cniVersion":"1.0.0","name":"list","disableCheck":true,"disableGC":false,"plugins":[{"type":"a"},{"type":"b","dns":{}}]}`,
	`{"name":5}`,
	`{"plugins":{}}`,
	`{"capabilities":{"a":"yes"}}`,
	`null`,
	`[]`,
	`{"NAME":"x","Type":"y","IPAM":{"TYPE":"z"}}`,
	`{"plugins":[null]}`,
}

// FuzzConfig decodes arbitrary bytes as a PluginConf and a NetConfList
// with both libraries and requires the same acceptance and, when both
// accept, the same JSON encoding.
func FuzzConfig(f *testing.F) {
	for _, s := range confSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ours types.PluginConf
		var ref reftypes.PluginConf
		errOurs := json.Unmarshal(data, &ours)
		errRef := json.Unmarshal(data, &ref)
		require.Equal(t, errRef == nil, errOurs == nil, "PluginConf: ref %v, ours %v", errRef, errOurs)
		if errRef == nil {
			a, errA := json.Marshal(&ref)
			b, errB := json.Marshal(&ours)
			require.Equal(t, errA == nil, errB == nil, "ref %v, ours %v", errA, errB)
			if errA == nil {
				assert.Equal(t, decodedJSON(t, a), decodedJSON(t, b))
			}
		}

		var oursList types.NetConfList
		var refList reftypes.NetConfList
		errOurs = json.Unmarshal(data, &oursList)
		errRef = json.Unmarshal(data, &refList)
		require.Equal(t, errRef == nil, errOurs == nil, "NetConfList: ref %v, ours %v", errRef, errOurs)
		if errRef == nil {
			a, errA := json.Marshal(&refList)
			b, errB := json.Marshal(&oursList)
			require.Equal(t, errA == nil, errB == nil, "ref %v, ours %v", errA, errB)
			if errA == nil {
				assert.Equal(t, decodedJSON(t, a), decodedJSON(t, b))
			}
		}
	})
}

// ourArgs and refArgs are the same CNI_ARGS container for each library.
type ourArgs struct {
	types.CommonArgs
	IP                 net.IP
	K8S_POD_NAME       types.UnmarshallableString //nolint:revive // CNI_ARGS key
	K8S_POD_NAMESPACE  *types.UnmarshallableString
	Flag               types.UnmarshallableBool
	NotText            int
	unexportedTextless types.UnmarshallableString
}

type refArgs struct {
	reftypes.CommonArgs
	IP                 net.IP
	K8S_POD_NAME       reftypes.UnmarshallableString //nolint:revive // CNI_ARGS key
	K8S_POD_NAMESPACE  *reftypes.UnmarshallableString
	Flag               reftypes.UnmarshallableBool
	NotText            int
	unexportedTextless reftypes.UnmarshallableString
}

// FuzzLoadArgs parses arbitrary CNI_ARGS strings with both libraries
// and requires the same acceptance, the same fields and an error text
// containing the reference's.
func FuzzLoadArgs(f *testing.F) {
	for _, s := range []string{
		"", "IP=198.18.0.5", "K8S_POD_NAME=a;K8S_POD_NAMESPACE=b", "IgnoreUnknown=1;X=y",
		"Flag=true", "Flag=maybe", "a=b=c", ";", "IP=bad", "NotText=1", "unexportedTextless=x",
		"IgnoreUnknown=TRUE;Z=1", "K8S_POD_NAME=", "=x", "IgnoreUnknown=1;IgnoreUnknown=0;Q=1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, args string) {
		var ours ourArgs
		var ref refArgs
		errOurs := types.LoadArgs(args, &ours)
		var errRef error
		panicked := func() (p bool) {
			defer func() { p = recover() != nil }()
			errRef = reftypes.LoadArgs(args, &ref)
			return false
		}()
		if panicked {
			return
		}
		if errRef != nil {
			require.Error(t, errOurs, "reference refused: %v", errRef)
			assert.Contains(t, errOurs.Error(), errRef.Error())
			return
		}
		require.NoError(t, errOurs)
		assert.Equal(t, bool(ref.IgnoreUnknown), bool(ours.IgnoreUnknown))
		assert.Equal(t, ref.IP, ours.IP)
		assert.Equal(t, string(ref.K8S_POD_NAME), string(ours.K8S_POD_NAME))
		assert.Equal(t, ref.K8S_POD_NAMESPACE == nil, ours.K8S_POD_NAMESPACE == nil)
		if ref.K8S_POD_NAMESPACE != nil && ours.K8S_POD_NAMESPACE != nil {
			assert.Equal(t, string(*ref.K8S_POD_NAMESPACE), string(*ours.K8S_POD_NAMESPACE))
		}
		assert.Equal(t, bool(ref.Flag), bool(ours.Flag))
		assert.Empty(t, string(ours.unexportedTextless), "unexported fields are never set")
		assert.Equal(t, string(ref.unexportedTextless), string(ours.unexportedTextless))
	})
}
