package shimvar_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/cnirt/cni/pkg/shimvar"
)

func TestEffective(t *testing.T) {
	t.Parallel()
	const def = "/var/lib/cni"
	isDefault := func(v string) bool { return v == def }
	for _, c := range []struct {
		name      string
		bound     bool
		own, shim string
		want      string
	}{
		{"no shim linked", false, def, "", def},
		{"no shim linked, own set", false, "/own", "", "/own"},
		{"neither set", true, def, def, def},
		{"shim set", true, def, "/shim", "/shim"},
		{"own set", true, "/own", def, "/own"},
		{"both set: own wins", true, "/own", "/shim", "/own"},
		{"shim set to empty", true, def, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var v shimvar.Var[string]
			shim := c.shim
			if c.bound {
				v.Bind(func() string { return shim })
			}
			assert.Equal(t, c.want, v.Effective(c.own, isDefault))
		})
	}
}

// The getter is read at every call, so a setting made after Bind counts.
func TestEffectiveReadsTheCurrentValue(t *testing.T) {
	t.Parallel()
	var v shimvar.Var[[]string]
	shim := []string{""}
	v.Bind(func() []string { return shim })
	isDefault := func(s []string) bool { return len(s) == 1 && s[0] == "" }
	assert.Equal(t, []string{""}, v.Effective([]string{""}, isDefault))
	shim = []string{".exe", ""}
	assert.Equal(t, []string{".exe", ""}, v.Effective([]string{""}, isDefault))
}

// A shim package binds its variable at init; cnirt then reads whichever
// of the two variables the program set.
func ExampleVar_Effective() {
	const defaultDir = "/var/lib/cni"
	ownCacheDir, shimCacheDir := defaultDir, defaultDir

	var cacheDir shimvar.Var[string]
	cacheDir.Bind(func() string { return shimCacheDir }) // the shim's init

	isDefault := func(v string) bool { return v == defaultDir }
	shimCacheDir = "/run/cni-cache" // the program sets the shim's variable
	fmt.Println(cacheDir.Effective(ownCacheDir, isDefault))
	// Output: /run/cni-cache
}
