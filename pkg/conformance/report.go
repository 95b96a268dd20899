package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable writes the report as a table: one line per check with its
// status, the section and the reason.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "network %q (cniVersion %s): %s\n", r.Network, r.CNIVersion, strings.Join(r.Plugins, " → "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tSTATUS\tRUNS\tREASON")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", res.Check, strings.ToUpper(string(res.Status)), len(res.Evidence), clip(res.Reason, 160))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	pass, fail, skip := r.Counts()
	_, err := fmt.Fprintf(w, "%d checks: %d passed, %d failed, %d skipped\n", len(r.Results), pass, fail, skip)
	return err
}

// WriteJSON writes the report, evidence included, as one JSON object.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML: one test suite for the
// network, one test case per check, a failed check as a failure and a
// skipped one as skipped, with the evidence as the case's output.
func (r *Report) WriteJUnit(w io.Writer) error {
	pass, fail, skip := r.Counts()
	_ = pass
	s := junitSuite{Name: "cni-conformance/" + r.Network, Tests: len(r.Results), Failures: fail, Skipped: skip}
	var total float64
	for _, res := range r.Results {
		total += res.Duration.Seconds()
		c := junitCase{Name: res.Check, Classname: "cni-conformance." + r.Network, Time: fmt.Sprintf("%.3f", res.Duration.Seconds())}
		msg := &junitMessage{Message: res.Reason, Text: res.Section + "\n" + res.Reason}
		switch res.Status {
		case Fail:
			c.Failure = msg
		case Skip:
			c.Skipped = msg
		}
		var b strings.Builder
		for _, ex := range res.Evidence {
			fmt.Fprintf(&b, "$ %s %s < %s\nexit %d after %v\nstdout: %s\n", strings.Join(ex.Env, " "), ex.Path, ex.Stdin, ex.ExitCode, ex.Duration, ex.Stdout)
			if ex.Stderr != "" {
				fmt.Fprintf(&b, "stderr: %s\n", ex.Stderr)
			}
		}
		c.SystemOut = b.String()
		s.Cases = append(s.Cases, c)
	}
	s.Time = fmt.Sprintf("%.3f", total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{s}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
