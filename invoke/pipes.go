package invoke

import (
	"io"
	"os"
	"time"
)

// pipeCollector copies the read end of a pipe that a plugin writes into a
// buffer, on a goroutine of its own. It exists instead of exec.Cmd's own
// copying because exec.Cmd.WaitDelay closes the read end when the grace
// period ends, throwing away whatever the plugin wrote that the copying
// goroutine had not yet read; on a loaded machine that goroutine can lag
// behind a plugin that already exited, and a successful run would then
// return a truncated result.
type pipeCollector struct {
	r    *os.File
	w    io.Writer
	done chan struct{}
}

// newPipe returns a pipe whose write end is meant for the plugin, and the
// collector that will copy its read end into w once started.
func newPipe(w io.Writer) (*pipeCollector, *os.File, error) {
	r, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	return &pipeCollector{r: r, w: w, done: make(chan struct{})}, pw, nil
}

// start begins copying.
func (p *pipeCollector) start() {
	go func() {
		defer close(p.done)
		_, _ = io.Copy(p.w, p.r)
	}()
}

// abandon closes the read end of a collector that was never started.
func (p *pipeCollector) abandon() { _ = p.r.Close() }

// finish is called once the plugin has exited. It waits up to grace for
// the copy to reach end of file (it does not when a descendant of the
// plugin still holds the write end). When the grace period ends first, it
// stops the copy and then takes, without waiting, everything still in the
// pipe: all the plugin wrote before it exited is there, so nothing of it is
// lost, and a descendant cannot hold the call. It closes the read end.
func (p *pipeCollector) finish(grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		_ = p.r.Close()
		return
	case <-t.C:
	}
	if err := p.r.SetReadDeadline(time.Now()); err != nil {
		// Not a pollable pipe (Windows): closing is the only way to stop
		// the copy; what it had not read is lost, as with exec.Cmd.
		_ = p.r.Close()
		<-p.done
		return
	}
	<-p.done
	_ = p.r.SetReadDeadline(time.Time{})
	drainPipe(p.r, p.w)
	_ = p.r.Close()
}
