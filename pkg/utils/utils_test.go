package utils_test

import (
	"strings"
	"testing"

	refutils "github.com/containernetworking/cni/pkg/utils"
	"github.com/stretchr/testify/assert"

	"github.com/cnirt/cni/pkg/utils"
	"github.com/cnirt/cni/types"
)

var names = []string{
	"", "a", "A", "0", "abc-123_x.y", "dummy", "a.", "a-", "a_", "-a", "_a", ".a", "a b", "a/b", "a:b",
	"caf\u00e9", "a\x00", "a\n", strings.Repeat("x", 300), "..", ".", "1", "Z9.-_",
}

var ifNames = []string{
	"", "eth0", "e", ".", "..", "...", "eth.0", "eth-0", "eth_0", "0123456789abcde", "0123456789abcdef",
	"eth/0", "eth:0", "eth 0", "eth\t0", "eth\n", " ", "\u00a0x", "x\u2028", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9",
	"\xff\xfe", "a\x00b", "@", "net%d", "\u0085",
}

func check(t *testing.T, in string, got *types.Error, code uint, msg, details string, refNil bool) {
	t.Helper()
	if refNil {
		assert.Nil(t, got, "input %q", in)
		return
	}
	if assert.NotNil(t, got, "input %q", in) {
		assert.Equal(t, code, got.Code, "input %q", in)
		// The reference's exact values: callers add context around the
		// error, never inside it.
		assert.Equal(t, msg, got.Msg, "input %q", in)
		assert.Equal(t, details, got.Details, "input %q", in)
	}
}

func TestValidateContainerIDMatchesReference(t *testing.T) {
	t.Parallel()
	for _, in := range names {
		ref := refutils.ValidateContainerID(in)
		if ref == nil {
			check(t, in, utils.ValidateContainerID(in), 0, "", "", true)
			continue
		}
		check(t, in, utils.ValidateContainerID(in), ref.Code, ref.Msg, ref.Details, false)
	}
}

func TestValidateNetworkNameMatchesReference(t *testing.T) {
	t.Parallel()
	for _, in := range names {
		ref := refutils.ValidateNetworkName(in)
		if ref == nil {
			check(t, in, utils.ValidateNetworkName(in), 0, "", "", true)
			continue
		}
		check(t, in, utils.ValidateNetworkName(in), ref.Code, ref.Msg, ref.Details, false)
	}
}

func TestValidateInterfaceNameMatchesReference(t *testing.T) {
	t.Parallel()
	for _, in := range ifNames {
		ref := refutils.ValidateInterfaceName(in)
		if ref == nil {
			check(t, in, utils.ValidateInterfaceName(in), 0, "", "", true)
			continue
		}
		check(t, in, utils.ValidateInterfaceName(in), ref.Code, ref.Msg, ref.Details, false)
	}
}

func TestValidateExplicit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  *types.Error
		code uint
		msg  string
	}{
		{"empty container", utils.ValidateContainerID(""), types.ErrUnknownContainer, "missing containerID"},
		{"bad container", utils.ValidateContainerID("a/b"), types.ErrInvalidEnvironmentVariables, "invalid characters in containerID"},
		{"empty network", utils.ValidateNetworkName(""), types.ErrInvalidNetworkConfig, "missing network name:"},
		{"bad network", utils.ValidateNetworkName("-n"), types.ErrInvalidNetworkConfig, "invalid characters found in network name"},
		{"empty ifname", utils.ValidateInterfaceName(""), types.ErrInvalidEnvironmentVariables, "interface name is empty"},
		{"long ifname", utils.ValidateInterfaceName("0123456789abcdef"), types.ErrInvalidEnvironmentVariables, "interface name is too long"},
		{"dot ifname", utils.ValidateInterfaceName(".."), types.ErrInvalidEnvironmentVariables, "interface name is . or .."},
		{"slash ifname", utils.ValidateInterfaceName("a/b"), types.ErrInvalidEnvironmentVariables, "interface name contains / or : or whitespace characters"},
	} {
		if assert.NotNil(t, tc.err, tc.name) {
			assert.Equal(t, tc.code, tc.err.Code, tc.name)
			assert.Equal(t, tc.msg, tc.err.Msg, tc.name)
		}
	}
	assert.Nil(t, utils.ValidateContainerID("abc.def-1_2"))
	assert.Nil(t, utils.ValidateNetworkName("net1"))
	assert.Nil(t, utils.ValidateInterfaceName("0123456789abcde"))
	// Details are the reference's, with nothing added: the name is the
	// caller's to report.
	assert.Equal(t, &types.Error{Code: types.ErrInvalidEnvironmentVariables, Msg: "interface name contains / or : or whitespace characters"}, utils.ValidateInterfaceName("a:b"))
	assert.Equal(t, &types.Error{Code: types.ErrInvalidEnvironmentVariables, Msg: "interface name is too long", Details: "interface name should be less than 16 characters"}, utils.ValidateInterfaceName("0123456789abcdef"))
}

func FuzzValidate(f *testing.F) {
	for _, s := range append(append([]string{}, names...), ifNames...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		compare := func(kind string, got *types.Error, refCode uint, refMsg string, refNil bool) {
			if refNil != (got == nil) {
				t.Fatalf("%s(%q): got %v, reference nil=%v", kind, in, got, refNil)
			}
			if got != nil && (got.Code != refCode || !strings.Contains(got.Msg, refMsg)) {
				t.Fatalf("%s(%q): got %d %q, reference %d %q", kind, in, got.Code, got.Msg, refCode, refMsg)
			}
		}
		if r := refutils.ValidateContainerID(in); r != nil {
			compare("ValidateContainerID", utils.ValidateContainerID(in), r.Code, r.Msg, false)
		} else {
			compare("ValidateContainerID", utils.ValidateContainerID(in), 0, "", true)
		}
		if r := refutils.ValidateNetworkName(in); r != nil {
			compare("ValidateNetworkName", utils.ValidateNetworkName(in), r.Code, r.Msg, false)
		} else {
			compare("ValidateNetworkName", utils.ValidateNetworkName(in), 0, "", true)
		}
		if r := refutils.ValidateInterfaceName(in); r != nil {
			compare("ValidateInterfaceName", utils.ValidateInterfaceName(in), r.Code, r.Msg, false)
		} else {
			compare("ValidateInterfaceName", utils.ValidateInterfaceName(in), 0, "", true)
		}
	})
}

func BenchmarkValidateContainerID(b *testing.B) {
	id := "7d3c4f1e2a9b8c0d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d"
	b.Run("cnirt", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if utils.ValidateContainerID(id) != nil {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if refutils.ValidateContainerID(id) != nil {
				b.Fatal("rejected")
			}
		}
	})
}

func BenchmarkValidateInterfaceName(b *testing.B) {
	b.Run("cnirt", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if utils.ValidateInterfaceName("eth0") != nil {
				b.Fatal("rejected")
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if refutils.ValidateInterfaceName("eth0") != nil {
				b.Fatal("rejected")
			}
		}
	})
}
