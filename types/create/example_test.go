package create_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/cnirt/cni/types/create"
)

// Parse a result of whatever version it declares and convert it.
func ExampleCreateFromBytes() {
	r, err := create.CreateFromBytes([]byte(`{
		"cniVersion": "0.2.0",
		"ip4": {"ip": "198.18.0.5/24", "gateway": "198.18.0.1", "routes": [{"dst": "0.0.0.0/0"}]}
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("parsed version", r.Version())
	newer, err := r.GetAsVersion("1.1.0")
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = newer.PrintTo(os.Stdout)
	// Output:
	// parsed version 0.2.0
	// {
	//     "cniVersion": "1.1.0",
	//     "ips": [
	//         {
	//             "address": "198.18.0.5/24",
	//             "gateway": "198.18.0.1"
	//         }
	//     ],
	//     "routes": [
	//         {
	//             "dst": "0.0.0.0/0"
	//         }
	//     ]
	// }
}

// A conversion the target version cannot express is refused with a
// typed error.
func ExampleConversionError() {
	r, err := create.CreateFromBytes([]byte(`{"cniVersion":"1.0.0","interfaces":[{"name":"eth0"}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = r.GetAsVersion("0.2.0")
	var ce *create.ConversionError
	fmt.Println(errors.As(err, &ce), ce.From, ce.To)
	fmt.Println(err)
	// Output:
	// true 1.0.0 0.2.0
	// cannot convert: no valid IP addresses
}

// A document without cniVersion is taken as version 0.1.0.
func ExampleDecodeVersion() {
	v, err := create.DecodeVersion([]byte(`{"name":"net"}`))
	fmt.Println(v, err)
	// Output: 0.1.0 <nil>
}
