package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// maxStderr bounds the stderr kept in an Exchange.
const maxStderr = 64 << 10

// maxStdout bounds the stdout kept in an Exchange (libcni's default limit
// on a plugin's output); a plugin writing more is judged on what was kept.
const maxStdout = 16 << 20

// run is the state of one check: its namespaces, its attachments and the
// plugin runs it made.
type run struct {
	s        *Suite
	ctx      context.Context
	evidence []Exchange
	host     string // host namespace path, "" until created
	hostName string
	nsNames  []string // namespaces to remove, by name
	atts     []*attachment
	gone     []string // paths of namespaces removed during the check
	seq      int
	id       string
}

// attachment is one container attached (or to be attached) to the network.
type attachment struct {
	id     string
	ifname string
	netns  string // path; "" for none
	nsName string
	// results[i] is plugins[i]'s ADD output, once it succeeded.
	results [][]byte
	final   []byte
	// capArgs are the capability arguments of the ADD, given again to DEL
	// and CHECK as a runtime does.
	capArgs map[string]any
	added   bool
	deleted bool
}

// do runs check c and cleans up after it.
func (r *run) do(ctx context.Context, c CheckInfo) (v verdict) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	r.id = hex.EncodeToString(b[:])
	defer func() {
		if p := recover(); p != nil {
			v = failf("the suite itself failed: %v", p)
		}
		if err := r.cleanup(); err != nil && v.status != Fail {
			v.reason += fmt.Sprintf(" (cleanup: %v)", err)
		}
	}()
	return c.run(ctx, r)
}

// cleanup DELs the attachments still added, without recording the runs,
// and removes the namespaces.
func (r *run) cleanup() error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 2*r.s.opts.Timeout)
	defer cancel()
	saved := r.evidence
	for i := len(r.atts) - 1; i >= 0; i-- {
		if a := r.atts[i]; a.added && !a.deleted {
			_ = r.del(ctx, a, true)
		}
	}
	r.evidence = saved
	// A plugin may have created a plain file at a removed namespace's path
	// (sbr locks the path with O_CREATE); remove what is not a namespace.
	for _, p := range r.gone {
		if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && fi.Size() == 0 {
			_ = os.Remove(p)
		}
	}
	var errs []error
	for i := len(r.nsNames) - 1; i >= 0; i-- {
		if err := deleteNS(ctx, r.nsNames[i]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// hostNS returns the host namespace of this check, creating it and
// running Options.HostSetup in it on first use.
func (r *run) hostNS(ctx context.Context) (string, error) {
	if r.host != "" {
		return r.host, nil
	}
	name := fmt.Sprintf("%s-%s-host", r.s.opts.NamePrefix, r.id)
	path, err := createNS(ctx, name)
	if err != nil {
		return "", fmt.Errorf("creating the host namespace: %w", err)
	}
	r.nsNames = append(r.nsNames, name)
	r.host, r.hostName = path, name
	if err := setUp(ctx, path, "lo"); err != nil {
		return "", err
	}
	for _, c := range r.s.opts.HostSetup {
		cmd := exec.CommandContext(ctx, "sh", "-c", c)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := startIn(path, cmd); err != nil {
			return "", fmt.Errorf("host setup %q: %w", c, err)
		}
		if err := cmd.Wait(); err != nil {
			return "", fmt.Errorf("host setup %q: %w: %s", c, err, strings.TrimSpace(out.String()))
		}
	}
	return path, nil
}

// container makes a new attachment with its own namespace.
func (r *run) container(ctx context.Context) (*attachment, error) {
	if _, err := r.hostNS(ctx); err != nil {
		return nil, err
	}
	r.seq++
	a := &attachment{id: fmt.Sprintf("%s-%s-c%d", r.s.opts.NamePrefix, r.id, r.seq), ifname: r.s.opts.IfName}
	a.nsName = a.id
	path, err := createNS(ctx, a.nsName)
	if err != nil {
		return nil, fmt.Errorf("creating a container namespace: %w", err)
	}
	r.nsNames = append(r.nsNames, a.nsName)
	a.netns = path
	r.atts = append(r.atts, a)
	return a, nil
}

// removeNetNS deletes a's namespace now (for the DEL-without-namespace rule).
func (r *run) removeNetNS(ctx context.Context, a *attachment) error {
	if err := deleteNS(ctx, a.nsName); err != nil {
		return err
	}
	r.gone = append(r.gone, a.netns)
	for i, n := range r.nsNames {
		if n == a.nsName {
			r.nsNames = append(r.nsNames[:i], r.nsNames[i+1:]...)
			break
		}
	}
	return nil
}

// invocation is one plugin run to make.
type invocation struct {
	typ, path string
	command   string
	// env replaces the standard CNI_* variables; nil entries are left out.
	env   map[string]*string
	stdin []byte
}

func strp(s string) *string { return &s }

// exec runs the plugin (in the host namespace when there is one) and
// records the exchange.
func (r *run) exec(ctx context.Context, a *attachment, in invocation) Exchange {
	ctx, cancel := context.WithTimeout(ctx, r.s.opts.Timeout)
	defer cancel()
	vars := map[string]*string{
		"CNI_COMMAND": strp(in.command),
		"CNI_PATH":    strp(strings.Join(r.s.opts.PluginDirs, string(os.PathListSeparator))),
	}
	if a != nil {
		vars["CNI_CONTAINERID"] = strp(a.id)
		vars["CNI_IFNAME"] = strp(a.ifname)
		if a.netns != "" {
			vars["CNI_NETNS"] = strp(a.netns)
		}
	}
	for k, v := range in.env {
		vars[k] = v
	}
	var cniEnv []string
	for _, k := range []string{"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH"} {
		if v := vars[k]; v != nil {
			cniEnv = append(cniEnv, k+"="+*v)
		}
	}
	ex := Exchange{Plugin: in.typ, Path: in.path, Command: in.command, Env: cniEnv, Stdin: string(in.stdin), ExitCode: -1}
	if v := vars["CNI_COMMAND"]; v == nil {
		ex.Command = ""
	}
	cmd := exec.CommandContext(ctx, in.path)
	cmd.Env = append(cniEnv, "PATH="+os.Getenv("PATH"))
	cmd.Stdin = bytes.NewReader(in.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &limited{w: &stdout, n: maxStdout}, &limited{w: &stderr, n: maxStderr}
	// Generous: on a loaded machine the output copy can lag the exit;
	// only a descendant holding the pipes open waits this long.
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	var err error
	if r.host != "" {
		err = startIn(r.host, cmd)
	} else {
		err = cmd.Start()
	}
	if err == nil {
		err = cmd.Wait()
	}
	ex.Duration = time.Since(start)
	ex.Stdout, ex.Stderr = stdout.String(), stderr.String()
	if cmd.ProcessState != nil {
		ex.ExitCode = cmd.ProcessState.ExitCode()
	}
	var ee *exec.ExitError
	if err != nil && !(errors.As(err, &ee) && ex.ExitCode > 0) {
		ex.StartError = err.Error()
	}
	r.evidence = append(r.evidence, ex)
	return ex
}

// limited writes at most n bytes to w and drops the rest.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		_, _ = l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// stdin builds plugin i's configuration for one request, as a runtime
// derives it (Section 3): the network's name and version, the previous
// result, and runtimeConfig with the capabilities the plugin declares.
func (r *run) stdin(i int, cniVersion string, prev []byte, capArgs map[string]any, extra map[string]any) []byte {
	p := r.s.plugins[i]
	m := make(map[string]any, len(p.conf)+4)
	for k, v := range p.conf {
		m[k] = v
	}
	m["name"] = r.s.list.Name
	m["cniVersion"] = cniVersion
	delete(m, "capabilities")
	if len(prev) > 0 && json.Valid(prev) {
		m["prevResult"] = json.RawMessage(prev)
	}
	rc := map[string]any{}
	for k, v := range capArgs {
		if p.caps[k] {
			rc[k] = v
		}
	}
	if len(rc) > 0 {
		m["runtimeConfig"] = rc
	}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("encoding plugin %d's configuration: %v", i, err))
	}
	return b
}

// opError is a plugin run that failed.
type opError struct {
	ex Exchange
}

func (e *opError) Error() string {
	msg := fmt.Sprintf("%s %s exited %d", e.ex.Plugin, e.ex.Command, e.ex.ExitCode)
	if e.ex.StartError != "" {
		msg += " (" + e.ex.StartError + ")"
	}
	if s := strings.TrimSpace(e.ex.Stdout); s != "" {
		msg += ": " + clip(s, 300)
	} else if s := strings.TrimSpace(e.ex.Stderr); s != "" {
		msg += ": stderr: " + clip(s, 300)
	}
	return msg
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// add runs ADD through the list, each plugin getting the previous result.
func (r *run) add(ctx context.Context, a *attachment, capArgs map[string]any) error {
	a.results = nil
	a.capArgs = capArgs
	var prev []byte
	a.added = true
	for i, p := range r.s.plugins {
		ex := r.exec(ctx, a, invocation{typ: p.typ, path: p.path, command: "ADD", stdin: r.stdin(i, r.s.list.CNIVersion, prev, capArgs, nil)})
		if ex.ExitCode != 0 {
			return &opError{ex}
		}
		// The first JSON value is the result; add-result judges the rest.
		var out json.RawMessage
		if err := json.NewDecoder(strings.NewReader(ex.Stdout)).Decode(&out); err != nil {
			out = nil
		}
		a.results = append(a.results, out)
		prev = out
	}
	a.final = prev
	a.deleted = false
	return nil
}

// del runs DEL through the list in reverse, with the ADD's final result
// as prevResult when withPrev is set and there is one.
func (r *run) del(ctx context.Context, a *attachment, withPrev bool) error {
	var errs []error
	for i := len(r.s.plugins) - 1; i >= 0; i-- {
		p := r.s.plugins[i]
		var prev []byte
		if withPrev && json.Valid(a.final) && len(a.final) > 0 {
			prev = a.final
		}
		ex := r.exec(ctx, a, invocation{typ: p.typ, path: p.path, command: "DEL", stdin: r.stdin(i, r.s.list.CNIVersion, prev, a.capArgs, nil)})
		if ex.ExitCode != 0 {
			errs = append(errs, &opError{ex})
		}
	}
	// A failed DEL is retried by the cleanup.
	a.deleted = len(errs) == 0
	return errors.Join(errs...)
}

// check runs CHECK through the list with the ADD's final result.
func (r *run) check(ctx context.Context, a *attachment) error {
	for i, p := range r.s.plugins {
		ex := r.exec(ctx, a, invocation{typ: p.typ, path: p.path, command: "CHECK", stdin: r.stdin(i, r.s.list.CNIVersion, a.final, a.capArgs, nil)})
		if ex.ExitCode != 0 {
			return &opError{ex}
		}
	}
	return nil
}

// gc runs GC on every plugin with the valid attachments.
func (r *run) gc(ctx context.Context, valid []*attachment) error {
	list := []map[string]string{}
	for _, a := range valid {
		list = append(list, map[string]string{"containerID": a.id, "ifname": a.ifname})
	}
	var errs []error
	for i, p := range r.s.plugins {
		ex := r.exec(ctx, nil, invocation{typ: p.typ, path: p.path, command: "GC",
			stdin: r.stdin(i, r.s.list.CNIVersion, nil, nil, map[string]any{"cni.dev/valid-attachments": list})})
		if ex.ExitCode != 0 {
			errs = append(errs, &opError{ex})
		}
	}
	return errors.Join(errs...)
}

// links returns the links of the namespace at path.
func (r *run) links(path string) (map[string]linkState, error) {
	return listLinks(path)
}
