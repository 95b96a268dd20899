//go:build unix

package invoke

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"syscall"
)

// ExecutableFileExtensions lists the suffixes [FindInPath] tries after the
// plugin name, in order. On Unix systems the name is used as it is.
// While it holds its initial value, the compat shim's
// invoke.ExecutableFileExtensions is used instead.
var ExecutableFileExtensions = []string{""}

// defaultExecutableFileExtensions is ExecutableFileExtensions' initial
// value, a list of its own so that changing an element of
// ExecutableFileExtensions counts as a setting.
var defaultExecutableFileExtensions = []string{""}

// configureCmd puts the plugin in a process group of its own and makes
// cancellation kill the whole group, so that helpers the plugin started do
// not outlive an aborted run. A descendant that moves itself into another
// process group or session (a daemon) escapes this.
func configureCmd(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error {
		// With Setpgid the group id is the plugin's pid.
		if err := syscall.Kill(-c.Process.Pid, syscall.SIGKILL); err != nil {
			return c.Process.Kill()
		}
		return nil
	}
}

// isTextBusy reports whether starting the plugin failed because its file is
// still open for writing (ETXTBSY), which goes away once the writer is done.
func isTextBusy(err error) bool {
	return errors.Is(err, syscall.ETXTBSY)
}

// signalName returns the name of the signal that ended the process, or "".
func signalName(state *os.ProcessState) string {
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return ws.Signal().String()
	}
	return ""
}

// isExecutable reports whether any execute permission bit is set.
func isExecutable(fi fs.FileInfo) bool {
	return fi.Mode().Perm()&0o111 != 0
}
