package types100_test

import (
	"fmt"
	"os"

	types100 "github.com/cnirt/cni/types/100"
)

// Parse a 1.1.0 result and print it as a 0.4.0 plugin would have.
func ExampleResult_GetAsVersion() {
	r, err := types100.NewResult([]byte(`{
		"cniVersion": "1.1.0",
		"interfaces": [{"name": "eth0", "mtu": 1500, "sandbox": "/var/run/netns/demo"}],
		"ips": [{"interface": 0, "address": "198.18.0.5/24", "gateway": "198.18.0.1"}]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	old, err := r.GetAsVersion("0.4.0")
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := old.PrintTo(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// {
	//     "cniVersion": "0.4.0",
	//     "interfaces": [
	//         {
	//             "name": "eth0",
	//             "sandbox": "/var/run/netns/demo"
	//         }
	//     ],
	//     "ips": [
	//         {
	//             "version": "4",
	//             "interface": 0,
	//             "address": "198.18.0.5/24",
	//             "gateway": "198.18.0.1"
	//         }
	//     ],
	//     "dns": {}
	// }
}

// Convert an older result into the newest Result type.
func ExampleGetResult() {
	r, err := types100.NewResult([]byte(`{"cniVersion":"1.0.0","ips":[{"address":"2001:db8::5/64"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := types100.GetResult(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.CNIVersion, res.IPs[0].Address.String())
	// Output: 1.1.0 2001:db8::5/64
}
