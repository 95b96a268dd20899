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

// Inside this repository the shim builds against the cnirt source it sits
// in. Go ignores a dependency's replace lines, so for a runtime the require
// above decides: a release (tag compat/vX.Y.Z) requires the cnirt release
// vX.Y.Z tagged on the same commit; see "Adopting cnirt without touching
// imports" in README.md.
replace github.com/cnirt/cni => ../
