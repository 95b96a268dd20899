package libcni_test

import (
	"errors"
	"fmt"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/types"
)

// Error() is the reference library's text, which clients compare whole;
// the verbose form, %+v, adds what cnirt knows about the failure.
func ExamplePluginError_Format() {
	var err error = &libcni.PluginError{
		Network: "mynet", Plugin: "bridge", Index: 0, Verb: "add",
		Path: "/opt/cni/bin/bridge",
		Err:  types.NewError(types.ErrTryAgainLater, "pool busy", ""),
	}
	fmt.Println(err)
	fmt.Printf("%+v\n", err)
	var te *types.Error
	if errors.As(err, &te) {
		fmt.Println("code", te.Code)
	}
	// Output:
	// plugin type="bridge" failed (add): pool busy
	// plugin type="bridge" failed (add): pool busy (network "mynet" plugins[0], /opt/cni/bin/bridge)
	// code 11
}

// A configuration error reads as the reference's; the file, the field and
// the position are in the verbose form.
func ExampleConfigError_Format() {
	_, err := libcni.ConfListFromBytes([]byte("{\n  \"name\": \"mynet\",\n  \"plugins\": [{\"type\": \"bridge\",}]\n}"))
	fmt.Println(err)
	fmt.Printf("%+v\n", err)
	// Output:
	// error parsing configuration list: invalid character '}' looking for beginning of object key string
	// error parsing configuration list: invalid character '}' looking for beginning of object key string (line 3, column 33)
}
