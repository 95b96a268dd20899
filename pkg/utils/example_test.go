package utils_test

import (
	"fmt"

	"github.com/cnirt/cni/pkg/utils"
)

func ExampleValidateInterfaceName() {
	fmt.Println(utils.ValidateInterfaceName("eth0") == nil)
	e := utils.ValidateInterfaceName("veth-with-a-long-name")
	fmt.Println(e.Code, e.Msg)
	e = utils.ValidateInterfaceName("eth:0")
	fmt.Println(e.Code, e.Msg)
	// Output:
	// true
	// 4 interface name is too long
	// 4 interface name contains / or : or whitespace characters
}

func ExampleValidateContainerID() {
	fmt.Println(utils.ValidateContainerID("5f1c2d-pod_1.a") == nil)
	e := utils.ValidateContainerID("bad/id")
	fmt.Println(e.Code, e.Msg, e.Details)
	// Output:
	// true
	// 4 invalid characters in containerID bad/id
}

func ExampleValidateNetworkName() {
	e := utils.ValidateNetworkName("")
	fmt.Println(e.Code, e.Msg)
	// Output:
	// 7 missing network name:
}
