// Package debugrecord defines the record the debug example plugin
// (examples/plugins/debug) appends for every invocation, and reads and
// writes files of such records. It does not import package testing, so the
// plugin itself can use it; tests use it through pkg/plugintest.
//
// A debug file holds one JSON object per line (JSON Lines). Each line is
// written with a single write to a file opened with O_APPEND, so the lines
// of concurrent plugin processes never interleave.
package debugrecord

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Record is one plugin invocation.
type Record struct {
	// Command is CNI_COMMAND as the plugin saw it ("" if unset).
	Command string `json:"command"`
	// Env holds every environment variable whose name starts with "CNI_",
	// exactly as received.
	Env map[string]string `json:"env"`
	// Trace holds the trace-context variables TRACEPARENT, TRACESTATE and
	// BAGGAGE that were set, exactly as received; nil when none was.
	Trace map[string]string `json:"trace,omitempty"`
	// Stdin is everything read from standard input; in JSON it is base64
	// (standard encoding), so the bytes are kept exactly.
	Stdin []byte `json:"stdin"`
	// Stdout is everything the plugin wrote to standard output: the
	// result, the VERSION answer or the error object; base64 in JSON.
	Stdout []byte `json:"stdout"`
	// ExitCode is the plugin's exit status (0 success, 1 failure).
	ExitCode int `json:"exitCode"`
	// Start is when the plugin process began handling the invocation.
	Start time.Time `json:"start"`
	// End is when it finished, just before the record was written.
	End time.Time `json:"end"`
	// PID is the plugin's process ID.
	PID int `json:"pid"`
}

// IsTraceVar reports whether name is one of the environment variables
// recorded in Record.Trace: TRACEPARENT, TRACESTATE or BAGGAGE.
func IsTraceVar(name string) bool {
	return name == "TRACEPARENT" || name == "TRACESTATE" || name == "BAGGAGE"
}

// Append adds rec as one line to the file at path, creating the file
// (mode 0644) if needed. The line is written with one write call on a file
// opened with O_APPEND.
func Append(path string, rec *Record) error {
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encoding debug record: %w", err)
	}
	line = append(line, '\n')
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("opening debug file: %w", err)
	}
	_, werr := f.Write(line)
	cerr := f.Close()
	if werr != nil {
		return fmt.Errorf("writing debug file %s: %w", path, werr)
	}
	if cerr != nil {
		return fmt.Errorf("closing debug file %s: %w", path, cerr)
	}
	return nil
}

// Parse decodes the records in data, one per non-empty line. A bad line is
// an error naming its line number.
func Parse(data []byte) ([]Record, error) {
	var out []Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			return out, fmt.Errorf("debug record on line %d: %w", n, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("reading debug records: %w", err)
	}
	return out, nil
}

// ReadFile reads and parses the debug file at path. A file that does not
// exist holds no records and is not an error.
func ReadFile(path string) ([]Record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	recs, err := Parse(data)
	if err != nil {
		return recs, fmt.Errorf("%s: %w", path, err)
	}
	return recs, nil
}
