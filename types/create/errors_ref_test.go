package create_test

import (
	"testing"

	refcreate "github.com/containernetworking/cni/pkg/types/create"
	"github.com/stretchr/testify/assert"

	"github.com/cnirt/cni/types/create"
)

// TestDecodeErrorTextsAreEncodingJSONs: a result whose JSON has a value of
// the wrong type fails with the text the reference (encoding/json) gives,
// naming the Go struct field, byte for byte.
func TestDecodeErrorTextsAreEncodingJSONs(t *testing.T) {
	t.Parallel()
	for _, doc := range []string{
		`{"cniVersion":"1.0.0","ips":[{"address":5}]}`,
		`{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.1/24","gateway":5}]}`,
		`{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.1/24","interface":"x"}]}`,
		`{"cniVersion":"1.0.0","ips":[{"address":"198.18.0.1/24","interface":1.5}]}`,
		`{"cniVersion":"1.0.0","interfaces":[{"name":5}]}`,
		`{"cniVersion":"1.0.0","interfaces":[{"mtu":"x"}]}`,
		`{"cniVersion":"1.0.0","interfaces":[5]}`,
		`{"cniVersion":"1.0.0","routes":[{"dst":5}]}`,
		`{"cniVersion":"1.0.0","routes":[{"dst":"0.0.0.0/0","gw":5}]}`,
		`{"cniVersion":"1.0.0","routes":[{"dst":"0.0.0.0/0","mtu":"x"}]}`,
		`{"cniVersion":"1.0.0","dns":{"nameservers":5}}`,
		`{"cniVersion":"1.0.0","dns":5}`,
		`{"cniVersion":"1.0.0","ips":5}`,
		`{"cniVersion":"0.4.0","ips":[{"version":5}]}`,
		`{"cniVersion":"0.4.0","interfaces":[{"mac":5}]}`,
		`{"cniVersion":"0.2.0","ip4":{"ip":5}}`,
		`{"cniVersion":"0.2.0","ip4":{"ip":"198.18.0.1/24","gateway":5}}`,
		`{"cniVersion":"0.2.0","dns":{"domain":5}}`,
		`{"cniVersion":"1.0.0","ips":[{"address":"nope"}]}`,
		`{"cniVersion":"1.0.0","ips":[5]}`,
		`{"cniVersion":"0.4.0","ips":[5]}`,
		`{"cniVersion":"1.0.0","routes":[5]}`,
		`{"cniVersion":"0.4.0","routes":[5]}`,
		`{"cniVersion":"0.2.0","ip4":5}`,
		`{"cniVersion":"0.2.0","ip4":{"routes":[5]}}`,
		`{"cniVersion":5}`,
		`[]`,
	} {
		_, refErr := refcreate.CreateFromBytes([]byte(doc))
		_, err := create.CreateFromBytes([]byte(doc))
		if assert.Error(t, err, doc) && assert.Error(t, refErr, doc) {
			assert.Equal(t, refErr.Error(), err.Error(), doc)
		}
	}
}
