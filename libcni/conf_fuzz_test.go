package libcni_test

import (
	"testing"
)

// FuzzConfListFromBytes feeds arbitrary documents to both libraries: cnirt
// must never panic, and must agree with the reference except for the
// deliberate differences confDiffBytes allows. Seeds: the differential
// corpus and libcni/testdata/fuzz/FuzzConfListFromBytes.
func FuzzConfListFromBytes(f *testing.F) {
	for _, tc := range confListCorpus {
		if len(tc.doc) < 4096 {
			f.Add([]byte(tc.doc))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		confDiffBytes(t, data)
	})
}
