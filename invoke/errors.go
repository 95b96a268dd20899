package invoke

import (
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/cnirt/cni/internal/errfmt"
)

// ExitError describes a plugin process that ended unsuccessfully without
// printing a CNI error object on stdout (no output, or output that is not a
// JSON error object).
type ExitError struct {
	// ExitCode is the process exit code, or -1 if it was ended by a signal.
	ExitCode int
	// Signal names the signal that ended the process ("killed",
	// "segmentation fault", ...), or is "" if it exited on its own.
	Signal string
	// Status is the operating system's description of how the process ended,
	// e.g. "exit status 1" or "signal: killed".
	Status string
	// Stdout is the plugin's output when it could not be parsed as an error
	// object (bounded; nil otherwise).
	Stdout []byte
	// ParseErr is why Stdout could not be parsed, when Stdout is non-empty.
	ParseErr error
	// Stderr is the plugin's standard error, cut to at most 64 KiB (the
	// beginning and the end are kept).
	Stderr []byte
	// Err is the underlying error from the operating system.
	Err error
	// Context is the context's error (context.DeadlineExceeded or
	// context.Canceled, with its cause) when the plugin was killed because
	// the context ended; nil otherwise.
	Context error
}

// Error returns the reference library's text for the failure, byte for
// byte: "netplugin failed with no error message: <status>", "netplugin
// failed: "<stderr>": <status>" or "netplugin failed but error parsing its
// diagnostic message "<stdout>": <reason>". The verbose form, fmt's %+v,
// adds the status and stderr to the last, and says when the plugin was
// killed because the context ended.
func (e *ExitError) Error() string {
	switch {
	case len(e.Stdout) > 0:
		return fmt.Sprintf("netplugin failed but error parsing its diagnostic message %q: %v", e.Stdout, e.ParseErr)
	case len(e.Stderr) > 0:
		return fmt.Sprintf("netplugin failed: %q: %s", e.Stderr, e.Status)
	default:
		return fmt.Sprintf("netplugin failed with no error message: %s", e.Status)
	}
}

// Format implements fmt.Formatter: %+v gives the verbose form described
// at Error; the other verbs format Error() as for any error.
func (e *ExitError) Format(f fmt.State, verb rune) {
	if !errfmt.Verbose(f, verb) {
		errfmt.Plain(f, verb, e.Error())
		return
	}
	var b strings.Builder
	b.WriteString(e.Error())
	if len(e.Stdout) > 0 {
		fmt.Fprintf(&b, " (%s", e.Status)
		if len(e.Stderr) > 0 {
			fmt.Fprintf(&b, "; stderr: %q", e.Stderr)
		}
		b.WriteByte(')')
	}
	if e.Context != nil {
		fmt.Fprintf(&b, "; plugin killed: %v", e.Context)
	}
	_, _ = io.WriteString(f, b.String())
}

// Unwrap returns the underlying operating system error and, when the
// plugin was killed because the context ended, the context's error, so
// errors.Is(err, context.DeadlineExceeded) reports it.
func (e *ExitError) Unwrap() []error {
	var errs []error
	for _, err := range []error{e.Err, e.Context} {
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// OutputLimitError reports a plugin whose standard output grew beyond the
// configured limit. The plugin's process group was killed.
type OutputLimitError struct {
	// Limit is the number of bytes that was allowed.
	Limit int64
}

// Error describes the limit that was exceeded.
func (e *OutputLimitError) Error() string {
	return fmt.Sprintf("plugin output exceeds the limit of %d bytes; plugin killed", e.Limit)
}

// NotFoundError is returned by [FindInPath] when no directory holds the
// plugin. errors.Is(err, fs.ErrNotExist) reports true for it.
type NotFoundError struct {
	// Plugin is the name that was looked for.
	Plugin string
	// Paths are the directories FindInPath was given, as given.
	Paths []string
	// Searched lists the absolute directories that were searched, in order.
	Searched []string
	// Ignored lists the given directories that were skipped because they
	// are not absolute.
	Ignored []string
}

// Error returns the reference library's text, `failed to find plugin "x"
// in path [dirs]`, with the directories as given (Searched when Paths is
// nil). The verbose form, fmt's %+v, adds the relative directories that
// were not searched.
func (e *NotFoundError) Error() string {
	paths := e.Paths
	if paths == nil {
		paths = e.Searched
	}
	return fmt.Sprintf("failed to find plugin %q in path %s", e.Plugin, paths)
}

// Format implements fmt.Formatter: %+v gives Error() followed by the
// ignored relative directories, if any; the other verbs format Error() as
// for any error.
func (e *NotFoundError) Format(f fmt.State, verb rune) {
	if errfmt.Verbose(f, verb) && len(e.Ignored) > 0 {
		fmt.Fprintf(f, "%s (ignored relative directories %q)", e.Error(), e.Ignored)
		return
	}
	errfmt.Plain(f, verb, e.Error())
}

// Unwrap returns fs.ErrNotExist.
func (e *NotFoundError) Unwrap() error { return fs.ErrNotExist }

// ArgsError reports an argument that cannot be passed to a plugin without
// ambiguity, such as a CNI_ARGS value containing ';' (which would let it
// add keys of its own) or any value containing a NUL byte.
type ArgsError struct {
	// Var is the environment variable concerned, e.g. "CNI_ARGS".
	Var string
	// Key is the CNI_ARGS key concerned, if any.
	Key string
	// Value is the offending value (the key itself when the key is bad).
	Value string
	// Reason says what is wrong with it.
	Reason string
}

// Error names the variable, the key and the problem.
func (e *ArgsError) Error() string {
	if e.Key != "" || e.Var == "CNI_ARGS" {
		return fmt.Sprintf("invalid %s entry %q (value %q): %s", e.Var, e.Key, e.Value, e.Reason)
	}
	return fmt.Sprintf("invalid %s value %q: %s", e.Var, e.Value, e.Reason)
}
