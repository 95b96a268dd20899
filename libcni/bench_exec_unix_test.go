//go:build unix

package libcni_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cnirt/cni/invoke"
	"github.com/cnirt/cni/pkg/plugintest"
)

// benchRecordingExec runs plugins for real and remembers the path, stdin and
// environment of each run.
type benchRecordingExec struct {
	*invoke.DefaultExec
	mu   sync.Mutex
	runs []benchRecordedRun
}

// benchRecordedRun is one plugin run as benchRecordingExec saw it.
type benchRecordedRun struct {
	path  string
	stdin []byte
	env   []string
}

func (e *benchRecordingExec) ExecPlugin(ctx context.Context, path string, stdin []byte, environ []string) ([]byte, error) {
	e.mu.Lock()
	e.runs = append(e.runs, benchRecordedRun{path: path, stdin: bytes.Clone(stdin), env: append([]string(nil), environ...)})
	e.mu.Unlock()
	return e.DefaultExec.ExecPlugin(ctx, path, stdin, environ)
}

// ownCPU returns the CPU time (user + system) this process has used, not
// counting its children.
func ownCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measureOwnCPU runs op b.N times and reports the caller's own CPU per
// iteration as "cpu-ns/op" next to the wall time.
func measureOwnCPU(b *testing.B, op func() error) {
	b.ReportAllocs()
	b.ResetTimer()
	start := ownCPU(b)
	for i := 0; i < b.N; i++ {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(ownCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// BenchmarkAddDelExec is ADD+DEL of the 3-plugin list with real processes
// of the noop example plugin (six runs per iteration), for cnirt and the
// reference, against "rawexec": the same six runs (same path, stdin and
// environment, recorded from cnirt) made directly with os/exec. The extra
// metric cpu-ns/op is this process's own CPU time (getrusage RUSAGE_SELF,
// children excluded), so what the library adds to the bare process
// start-ups shows.
func BenchmarkAddDelExec(b *testing.B) {
	dir := plugintest.Build(b, plugintest.NoopPlugin)
	ctx := context.Background()

	rec := &benchRecordingExec{DefaultExec: &invoke.DefaultExec{RawExec: &invoke.RawExec{Stderr: os.Stderr}}}
	if err := newCnirtAddDel(b, []string{dir}, rec)(ctx, 0); err != nil {
		b.Fatal(err)
	}
	if len(rec.runs) != 6 {
		b.Fatalf("recorded %d plugin runs, want 6", len(rec.runs))
	}
	runs := rec.runs

	b.Run("cnirt", func(b *testing.B) {
		op := newCnirtAddDel(b, []string{dir}, nil)
		n := uint64(0)
		measureOwnCPU(b, func() error { n++; return op(ctx, n) })
	})
	b.Run("reference", func(b *testing.B) {
		op := newRefAddDel(b, []string{dir}, nil)
		n := uint64(0)
		measureOwnCPU(b, func() error { n++; return op(ctx, n) })
	})
	b.Run("rawexec", func(b *testing.B) {
		measureOwnCPU(b, func() error {
			for _, r := range runs {
				cmd := exec.Command(r.path)
				cmd.Stdin = bytes.NewReader(r.stdin)
				cmd.Env = r.env
				if _, err := cmd.Output(); err != nil {
					return err
				}
			}
			return nil
		})
	})
}
