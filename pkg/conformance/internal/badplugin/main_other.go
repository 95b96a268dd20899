//go:build !linux

// Command badplugin is the conformance suite's misbehaving test plugin; it
// needs Linux network namespaces.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Println(`{"code":100,"msg":"badplugin needs Linux"}`)
	os.Exit(1)
}
