// Package runreport carries a record of one plugin process through a
// context: libcni puts an empty Report into the context of a plugin run it
// observes, and invoke.RawExec fills in how the process ended. It lets
// libcni report a plugin's exit status even when the plugin printed a CNI
// error object (which invoke returns as a *types.Error, without the
// status), without invoke exporting more API.
package runreport

import "context"

// Report is what RawExec records about the last process it started for
// one run.
type Report struct {
	// Started reports whether a process was created at all.
	Started bool
	// Attempts counts start attempts (more than one after "text file
	// busy" retries).
	Attempts int
	// ExitCode is the process's exit code, or -1 when it was ended by a
	// signal or did not start.
	ExitCode int
	// Signal names the signal that ended the process, or is "".
	Signal string
	// StdoutBytes is how many bytes the process wrote to stdout (up to
	// the output limit).
	StdoutBytes int
}

type key struct{}

// With returns ctx carrying r.
func With(ctx context.Context, r *Report) context.Context {
	return context.WithValue(ctx, key{}, r)
}

// From returns the Report ctx carries, or nil.
func From(ctx context.Context) *Report {
	r, _ := ctx.Value(key{}).(*Report)
	return r
}
