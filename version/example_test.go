package version_test

import (
	"fmt"
	"os"

	"github.com/cnirt/cni/version"
)

func ExampleReconciler_Check() {
	var r version.Reconciler
	plugin := version.PluginSupports("0.4.0", "1.0.0")

	fmt.Println(r.Check("1.0.0", plugin) == nil)
	if err := r.Check("1.1.0", plugin); err != nil {
		fmt.Println(err)
	}
	// Output:
	// true
	// incompatible CNI versions: config is "1.1.0", plugin supports ["0.4.0" "1.0.0"]
}

func ExamplePluginDecoder_Decode() {
	var dec version.PluginDecoder
	modern, _ := dec.Decode([]byte(`{"cniVersion":"1.0.0","supportedVersions":["0.4.0","1.0.0"]}`))
	fmt.Println(modern.SupportedVersions())

	// A plugin of the 0.2.0 era answers with its version only.
	old, _ := dec.Decode([]byte(`{"cniVersion":"0.2.0"}`))
	fmt.Println(old.SupportedVersions())

	_, err := dec.Decode([]byte(`{"cniVersion":"1.0.0"}`))
	fmt.Println(err)
	// Output:
	// [0.4.0 1.0.0]
	// [0.1.0 0.2.0]
	// decoding version info: missing field supportedVersions
}

func ExampleGreaterThanOrEqualTo() {
	ok, _ := version.GreaterThanOrEqualTo("1.0.0", "0.4.0")
	fmt.Println(ok)
	_, err := version.GreaterThanOrEqualTo("1.x", "0.4.0")
	fmt.Println(err)
	// Output:
	// true
	// failed to convert minor version part "x": strconv.Atoi: parsing "x": invalid syntax
}

func ExamplePluginSupports() {
	_ = version.PluginSupports("1.0.0", "1.1.0").Encode(os.Stdout)
	// Output:
	// {"cniVersion":"1.1.0","supportedVersions":["1.0.0","1.1.0"]}
}

func ExampleVersionsStartingFrom() {
	fmt.Println(version.VersionsStartingFrom("0.4.0").SupportedVersions())
	// Output:
	// [0.4.0 1.0.0 1.1.0]
}
