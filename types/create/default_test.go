package create_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/types/create"
)

func TestCreateFromBytesWithDefault(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, def, in string
		wantVersion   string
		wantJSON      string
		wantErr       string
	}{
		{name: "own version wins", def: "1.0.0", in: `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.2/24"}]}`,
			wantVersion: "0.4.0", wantJSON: `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.2/24"}],"dns":{}}`},
		{name: "missing version takes default", def: "1.1.0", in: `{"ips":[{"address":"198.18.0.2/24"}]}`,
			wantVersion: "1.1.0", wantJSON: `{"cniVersion":"1.1.0","ips":[{"address":"198.18.0.2/24"}]}`},
		{name: "empty version takes default", def: "0.3.1", in: `{"cniVersion":""}`,
			wantVersion: "0.3.1", wantJSON: `{"cniVersion":"0.3.1","dns":{}}`},
		{name: "null takes default", def: "1.0.0", in: `null`,
			wantVersion: "1.0.0", wantJSON: `{"cniVersion":"1.0.0"}`},
		{name: "no default means 0.1.0", def: "", in: `{}`,
			wantVersion: "0.1.0", wantJSON: `{"cniVersion":"0.1.0","dns":{}}`},
		{name: "unknown default refused", def: "9.9.9", in: `{}`, wantErr: "9.9.9"},
		{name: "not JSON", def: "1.0.0", in: `{`, wantErr: "failed to unmarshal raw result"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := create.CreateFromBytesWithDefault(tc.def, []byte(tc.in))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantVersion, res.Version())
			var buf bytes.Buffer
			require.NoError(t, res.PrintTo(&buf))
			assert.JSONEq(t, tc.wantJSON, buf.String())
		})
	}
}
