//go:build !unix && !windows

package invoke

import (
	"io/fs"
	"os"
	"os/exec"
)

// ExecutableFileExtensions lists the suffixes [FindInPath] tries after the
// plugin name, in order.
// While it holds its initial value, the compat shim's
// invoke.ExecutableFileExtensions is used instead.
var ExecutableFileExtensions = []string{""}

// defaultExecutableFileExtensions is ExecutableFileExtensions' initial
// value, a list of its own so that changing an element of
// ExecutableFileExtensions counts as a setting.
var defaultExecutableFileExtensions = []string{""}

// configureCmd leaves the default cancellation in place: on systems other
// than Unix and Windows only the plugin process itself is killed when the
// context ends.
func configureCmd(c *exec.Cmd) {}

// isTextBusy reports false: there is no "text file busy" condition to
// retry on these systems.
func isTextBusy(err error) bool { return false }

// signalName returns "" on these systems.
func signalName(state *os.ProcessState) string { return "" }

// isExecutable reports true on these systems.
func isExecutable(fi fs.FileInfo) bool { return true }
