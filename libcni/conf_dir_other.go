//go:build !linux || !(amd64 || arm64)

package libcni

import (
	"errors"

	"github.com/cnirt/cni/pkg/jsonx"
)

// Elsewhere a ConfLoader lists directories with ConfFiles and remembers
// files by path.

// loaderCache is what a ConfLoader remembers: files by path.
type loaderCache struct {
	files map[string]*loadedConf
}

// dirView is not used here.
type dirView struct{}

// snapshot reports that the portable path does the load.
func (*ConfLoader) snapshot(string) (dirView, bool) { return dirView{}, false }

func (*dirView) close()                    {}
func (*dirView) count(confKind) int        { return 0 }
func (*dirView) path(confKind, int) string { return "" }

// readEntry is never called: snapshot never succeeds here.
func (*ConfLoader) readEntry(*dirView, *jsonx.Decoder, confKind, int) ([]byte, string, bool, error) {
	return nil, "", false, errors.New("libcni: no directory listing on this system")
}
