module github.com/cnirt/cni/compat

go 1.26

require (
	github.com/cnirt/cni v0.0.0
	github.com/stretchr/testify v1.12.1
)

require (
	go.opentelemetry.io/otel v1.29.0 // indirect
	go.opentelemetry.io/otel/trace v1.29.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)

// Until cnirt has a release, the shim builds against the cnirt source it
// sits in. A release of the shim requires the cnirt release tagged at the
// same commit; see "Adopting cnirt without touching imports" in README.md.
replace github.com/cnirt/cni => ../
