package create_test

import (
	"bytes"
	"testing"

	refcreate "github.com/containernetworking/cni/pkg/types/create"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/types/create"
)

// FuzzResult parses arbitrary bytes as a result with both libraries, by
// detected version and forced to each parser, and requires the same
// acceptance, the same printed JSON and the same conversions (see
// compareDoc). Inputs that make the reference panic only require cnirt
// not to panic.
func FuzzResult(f *testing.F) {
	for _, doc := range corpus {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		refPanicked := refCall(func() { _, _ = refcreate.CreateFromBytes(doc) })
		if refPanicked {
			_, _ = create.CreateFromBytes(doc)
			return
		}
		compareDoc(t, doc)

		for _, v := range []string{"0.2.0", "0.4.0", "1.1.0"} {
			ours, errOurs := create.Create(v, doc)
			ref, errRef := refcreate.Create(v, doc)
			if errRef != nil {
				require.Error(t, errOurs, "Create(%q): reference refused: %v", v, errRef)
				continue
			}
			require.NoError(t, errOurs, "Create(%q)", v)
			var a, b bytes.Buffer
			if refCall(func() { _ = ref.PrintTo(&a) }) {
				continue
			}
			require.NoError(t, ours.PrintTo(&b))
			assert.Equal(t, decoded(t, a.Bytes()), decoded(t, b.Bytes()))
		}
	})
}
