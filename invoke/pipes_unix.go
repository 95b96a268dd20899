//go:build unix

package invoke

import (
	"errors"
	"io"
	"os"
	"syscall"
)

// drainPipe copies into w what r's pipe holds right now, reading without
// waiting: it stops at end of file, at an empty pipe whose write end is
// still open somewhere, or when w refuses more.
func drainPipe(r *os.File, w io.Writer) {
	rc, err := r.SyscallConn()
	if err != nil {
		return
	}
	buf := make([]byte, 32<<10)
	for {
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			for {
				n, rerr = syscall.Read(int(fd), buf)
				if !errors.Is(rerr, syscall.EINTR) {
					return true // never wait for readiness
				}
			}
		})
		if err != nil || rerr != nil || n <= 0 {
			return
		}
		if _, err := w.Write(buf[:n]); err != nil {
			return
		}
	}
}
