//go:build windows

package invoke

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
)

// ExecutableFileExtensions lists the suffixes [FindInPath] tries after the
// plugin name, in order: on Windows "name.exe" is preferred to "name".
// While it holds its initial value, the compat shim's
// invoke.ExecutableFileExtensions is used instead.
var ExecutableFileExtensions = []string{".exe", ""}

// defaultExecutableFileExtensions is ExecutableFileExtensions' initial
// value, a list of its own so that changing an element of
// ExecutableFileExtensions counts as a setting.
var defaultExecutableFileExtensions = []string{".exe", ""}

// errSharingViolation is ERROR_SHARING_VIOLATION, what Windows reports when
// an executable is started while another process still has it open for
// writing.
const errSharingViolation = syscall.Errno(32)

// configureCmd leaves the default cancellation in place: on Windows only
// the plugin process itself is killed when the context ends; processes it
// started keep running. The run still returns in bounded time because the
// pipes are closed after a short delay (exec.Cmd.WaitDelay).
func configureCmd(c *exec.Cmd) {}

// isTextBusy reports whether starting the plugin failed because its file is
// still being written.
func isTextBusy(err error) bool {
	return errors.Is(err, errSharingViolation) || errors.Is(err, syscall.ETXTBSY)
}

// signalName returns "": Windows processes do not end by signals.
func signalName(state *os.ProcessState) string { return "" }

// isExecutable reports true: Windows has no execute permission bit, the
// file extension decides (see ExecutableFileExtensions).
func isExecutable(fi fs.FileInfo) bool { return true }
