package invoke

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/cnirt/cni/internal/runreport"
	"github.com/cnirt/cni/types"
)

// DefaultMaxOutputBytes is the stdout limit used when
// RawExec.MaxOutputBytes is zero.
const DefaultMaxOutputBytes int64 = 16 << 20

const (
	// pipeGrace is how long a run waits for stdout/stderr to reach end of
	// file after the plugin exited or was killed; a descendant that keeps
	// them open cannot hold the call longer than this.
	pipeGrace = 250 * time.Millisecond
	// textBusyRetries is how many times a start failing with "text file
	// busy" is retried; the backoff starts at textBusyBackoff and doubles.
	textBusyRetries = 5
	textBusyBackoff = 20 * time.Millisecond
)

// RawExec runs plugin executables. The zero value is ready to use; it may
// be used by several goroutines at once as long as its fields are not
// changed meanwhile.
type RawExec struct {
	// Stderr, if not nil, receives the plugin's standard error as it is
	// written, whether the run succeeds or fails. Writes to it from
	// concurrent runs are not serialised; errors it returns are ignored.
	Stderr io.Writer

	// MaxOutputBytes caps the plugin's standard output. A plugin writing
	// more is killed (with its process group on Unix) and the run fails
	// with an *OutputLimitError. Zero means DefaultMaxOutputBytes; a
	// negative value means no limit.
	MaxOutputBytes int64

	// observe, when set, is told about every start attempt and its outcome.
	// It is the place where an exported per-run hook (tracing, metrics)
	// will be plugged in.
	observe func(runEvent)
}

// runEvent describes one attempt to run a plugin.
type runEvent struct {
	Plugin     string
	Command    string
	Attempt    int
	Start, End time.Time
	// State is nil when the process could not be started.
	State *os.ProcessState
	// StdoutBytes counts what the process wrote to stdout, up to the limit.
	StdoutBytes int
	// Err is the start error or the classified run error.
	Err error
}

// ExecPlugin runs the plugin at pluginPath with stdinData on its standard
// input and environ as its environment (nil: inherit this process's
// environment) and returns what it printed on standard output.
//
// Nothing is started if ctx is already done. On Unix the plugin runs in a
// process group of its own (so terminal signals sent to this process do not
// reach it); when ctx ends during the run the whole group is killed, on
// other systems the plugin process alone. The returned error then wraps
// ctx.Err(). If the plugin exits while a descendant still holds its stdout
// or stderr, the call stops waiting for them after a short grace period.
// A start failing with "text file busy" is retried a few times with a
// fresh process.
//
// As with the reference library, every failure is a *types.Error: a plugin
// that printed a CNI error object fails with that error (code, message and
// details as printed); otherwise the error has code 0 and the reference's
// message ("netplugin failed with no error message: exit status 1", ...),
// and errors.As reaches cnirt's typed reason behind it: an *ExitError
// (exit status, signal, stderr; killed because ctx ended), an
// *OutputLimitError, or the start error. When ctx ended, errors.Is(err,
// ctx.Err()) reports true.
//
// When ctx carries a valid OpenTelemetry span context, the plugin's
// environment gets it in W3C trace-context format, as the reference library
// v1.3.1 does: TRACEPARENT, and TRACESTATE and BAGGAGE when they are not
// empty. Entries of those names in environ are replaced then (a nil environ
// becomes this process's environment with them); without a span context
// environ is used as it is.
func (e *RawExec) ExecPlugin(ctx context.Context, pluginPath string, stdinData []byte, environ []string) ([]byte, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	var cfg RawExec
	if e != nil {
		cfg = *e
	}
	command := envValue(environ, "CNI_COMMAND")
	if err := ctx.Err(); err != nil {
		return nil, notStarted(ctx)
	}
	environ = withTraceContext(ctx, environ)
	limit := cfg.MaxOutputBytes
	if limit == 0 {
		limit = DefaultMaxOutputBytes
	}
	if rep := runreport.From(ctx); rep != nil {
		cfg.observe = reportTo(rep, cfg.observe)
	}

	backoff := textBusyBackoff
	for attempt := 1; ; attempt++ {
		out, started, err := cfg.runOnce(ctx, pluginPath, command, attempt, stdinData, environ, limit)
		if err == nil {
			return out, nil
		}
		if started || !isTextBusy(err) || attempt > textBusyRetries {
			return nil, asCNIError(err)
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, notStarted(ctx)
		case <-t.C:
		}
		backoff *= 2
	}
}

// runOnce makes one attempt with a fresh exec.Cmd. started reports whether
// the process was created; when it was not, err is the start error.
func (e *RawExec) runOnce(ctx context.Context, pluginPath, command string, attempt int, stdinData []byte, environ []string, limit int64) (out []byte, started bool, err error) {
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	stdout := &outputBuffer{limit: limit, onExceed: func() { cancel(errOutputLimit) }}
	stderr := &stderrBuffer{stream: e.Stderr}

	outPipe, outW, err := newPipe(stdout)
	if err != nil {
		return nil, false, err
	}
	errPipe, errW, err := newPipe(stderr)
	if err != nil {
		outPipe.abandon()
		_ = outW.Close()
		return nil, false, err
	}

	c := exec.CommandContext(runCtx, pluginPath)
	c.Env = environ
	c.Stdin = bytes.NewReader(stdinData)
	// The plugin writes straight into pipes this run reads itself (see
	// pipeCollector); WaitDelay only bounds the stdin copy now.
	c.Stdout = outW
	c.Stderr = errW
	c.WaitDelay = pipeGrace
	configureCmd(c)

	ev := runEvent{Plugin: pluginPath, Command: command, Attempt: attempt, Start: time.Now()}
	err = c.Start()
	_ = outW.Close()
	_ = errW.Close()
	if err != nil {
		outPipe.abandon()
		errPipe.abandon()
		ev.End, ev.Err = time.Now(), err
		e.notify(ev)
		return nil, false, err
	}
	outPipe.start()
	errPipe.start()
	waitErr := c.Wait()
	outPipe.finish(pipeGrace)
	errPipe.finish(pipeGrace)
	ev.End, ev.State, ev.StdoutBytes = time.Now(), c.ProcessState, len(stdout.buf)

	switch {
	case stdout.exceeded:
		err = &OutputLimitError{Limit: limit}
	case c.ProcessState != nil && c.ProcessState.Success():
		// The plugin exited 0 on its own. A late context end or a
		// descendant holding the pipes open does not change that:
		// everything it wrote before exiting was collected.
		out = stdout.buf
		if out == nil {
			out = []byte{}
		}
	case ctx.Err() != nil:
		err = failureFromOutput(c.ProcessState, waitErr, stdout.buf, stderr.Bytes())
		if ee, ok := err.(*ExitError); ok {
			ee.Context = contextError(ctx)
		} else if perr, ok := err.(*types.Error); ok {
			// The plugin's own error, with why it was killed behind it.
			err = types.WrapError(perr.Code, perr.Msg, perr.Details, contextError(ctx))
		}
	default:
		err = failureFromOutput(c.ProcessState, waitErr, stdout.buf, stderr.Bytes())
	}
	ev.Err = err
	e.notify(ev)
	return out, true, err
}

// reportTo returns an observer that records each attempt's outcome in rep
// (the last attempt wins), then calls next if there is one.
func reportTo(rep *runreport.Report, next func(runEvent)) func(runEvent) {
	return func(ev runEvent) {
		rep.Attempts = ev.Attempt
		rep.Started = ev.State != nil
		rep.ExitCode, rep.Signal, rep.StdoutBytes = -1, "", ev.StdoutBytes
		if ev.State != nil {
			rep.ExitCode = ev.State.ExitCode()
			rep.Signal = signalName(ev.State)
		}
		if next != nil {
			next(ev)
		}
	}
}

func (e *RawExec) notify(ev runEvent) {
	if e.observe != nil {
		e.observe(ev)
	}
}

// failureFromOutput builds the error for a plugin that ended unsuccessfully:
// its CNI error object if stdout holds one, an *ExitError otherwise.
func failureFromOutput(state *os.ProcessState, waitErr error, stdout, stderr []byte) error {
	ee := &ExitError{ExitCode: -1, Stderr: stderr, Err: waitErr}
	if state != nil {
		ee.ExitCode = state.ExitCode()
		ee.Signal = signalName(state)
		ee.Status = state.String()
	} else if waitErr != nil {
		ee.Status = waitErr.Error()
	}
	if len(bytes.TrimSpace(stdout)) == 0 {
		return ee
	}
	var perr types.Error
	err := json.Unmarshal(stdout, &perr)
	if err == nil && (perr.Code != 0 || perr.Msg != "") {
		return &perr
	}
	if err == nil {
		err = errors.New("no error code or message in it")
	}
	ee.Stdout = clip(stdout, stderrHeadBytes+stderrTailBytes)
	ee.ParseErr = err
	return ee
}

// contextError returns ctx.Err(), joined with the context's cause when the
// cause says more.
func contextError(ctx context.Context) error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("%w (cause: %w)", err, cause)
	}
	return err
}

// notStarted is the error of a plugin that was not started because the
// context ended: the reference's text for it (exec.Cmd's start error is
// the context's error), with the context's error and cause behind it.
func notStarted(ctx context.Context) error {
	return types.WrapError(0, "netplugin failed with no error message: "+ctx.Err().Error(), "", contextError(ctx))
}

// asCNIError returns err as the reference library returns every failed
// run: a *types.Error. A plugin's own error object is returned as it is;
// any other error becomes code 0 with the reference's message, its text,
// and stays reachable with errors.As and errors.Is. A start failure gets
// the reference's "netplugin failed with no error message: " in front.
func asCNIError(err error) error {
	switch e := err.(type) {
	case *types.Error:
		return e
	case *ExitError, *OutputLimitError:
		return types.WrapError(0, err.Error(), "", err)
	}
	return types.WrapError(0, "netplugin failed with no error message: "+err.Error(), "", err)
}

// FindInPath looks plugin up in paths; see the package-level [FindInPath].
func (e *RawExec) FindInPath(plugin string, paths []string) (string, error) {
	return FindInPath(plugin, paths)
}
