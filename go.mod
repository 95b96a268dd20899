module github.com/cnirt/cni

go 1.26

require (
	github.com/containernetworking/cni v1.3.0 // indirect
	github.com/coreos/go-semver v0.3.1 // indirect
	github.com/stretchr/testify v1.12.1 // indirect
)
