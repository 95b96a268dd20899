package ns_test

import (
	"fmt"

	"github.com/cnirt/cni/pkg/ns"
)

// A plugin refuses to configure its own network namespace; a path that
// does not exist is no namespace at all, so no error.
func ExampleCheckNetNS() {
	same, err := ns.CheckNetNS("/no/such/namespace")
	fmt.Println(same, err == nil)
	// Output: false true
}
