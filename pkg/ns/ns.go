// Package ns answers the one question about network namespaces that the CNI
// plugin skeleton asks: is a path the caller's own network namespace? It is
// the reference library's pkg/ns, with the same function, results and error
// values on every operating system. Namespaces exist on Linux only; elsewhere
// the answer is always "no".
package ns
