package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"

	"github.com/cnirt/cni/invoke"
	"sort"
	"strings"
)

// knownVersions are the released spec versions, oldest first.
var knownVersions = []string{"0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}

// unlistedVersion is offered to plugins that list every known version.
const unlistedVersion = "1.99.0"

// checks is the suite, in running order.
var checks = []CheckInfo{
	{Name: "version", Section: "Section 2: VERSION; Section 5: Version",
		Rule: "VERSION prints one JSON object whose supportedVersions lists the configuration's version, and answers for any version it is asked with", run: checkVersion},
	{Name: "version-echo", Section: "Section 5: Version (\"cniVersion: The value of cniVersion specified on input\")",
		Rule: "VERSION's cniVersion is the version the request gave", run: checkVersionEcho},
	{Name: "version-unsupported", Section: "Section 5: Error (code 1, incompatible CNI version)",
		Rule: "an ADD whose cniVersion the plugin does not list fails with error code 1", run: checkVersionUnsupported},
	{Name: "add-result", Section: "Section 2: ADD; Section 5: ADD Success", NeedsNetNS: true,
		Rule: "ADD prints exactly one result, valid for the configuration's version: well-formed interfaces, IPs, routes and DNS, every interface index in range, the container interface in CNI_NETNS", run: checkAddResult},
	{Name: "add-interface", Section: "Section 2: ADD", NeedsNetNS: true,
		Rule: "after ADD, CNI_IFNAME exists in the container with the reported MAC and addresses", run: checkAddInterface},
	{Name: "bad-input", Section: "Section 2: Parameters, Errors; Section 5: Error", NeedsNetNS: true,
		Rule: "invalid JSON, a missing CNI_COMMAND, CNI_CONTAINERID or CNI_IFNAME, an unknown command and an interface name over 15 bytes each get a non-zero exit and an error object with a defined code, and change nothing", run: checkBadInput},
	{Name: "check-after-add", Section: "Section 2: CHECK", NeedsNetNS: true,
		Rule: "CHECK right after ADD succeeds (1.0.0 and later, and 0.4.0)", run: checkAfterAdd},
	{Name: "check-after-del", Section: "Section 2: CHECK", NeedsNetNS: true,
		Rule: "CHECK after DEL fails, with an error object", run: checkAfterDel},
	{Name: "del-removes", Section: "Section 2: DEL", NeedsNetNS: true,
		Rule: "DEL removes what ADD made: the container interface and host-side links are gone, and another container can take the released addresses", run: checkDelRemoves},
	{Name: "del-twice", Section: "Section 2: DEL (\"Plugins MUST accept multiple DEL calls\")", NeedsNetNS: true,
		Rule: "a second DEL of the same attachment succeeds", run: checkDelTwice},
	{Name: "del-without-add", Section: "Section 2: DEL", NeedsNetNS: true,
		Rule: "DEL of an attachment that was never added succeeds", run: checkDelWithoutAdd},
	{Name: "del-netns-gone", Section: "Section 2: DEL (best effort)", NeedsNetNS: true,
		Rule: "DEL succeeds when the container's namespace no longer exists", run: checkDelNetNSGone},
	{Name: "del-without-prevresult", Section: "Section 2: DEL (\"return without error if prevResult is empty\")", NeedsNetNS: true,
		Rule: "DEL without prevResult succeeds", run: checkDelWithoutPrev},
	{Name: "chain-prevresult", Section: "Section 2: ADD (prevResult); Section 5: ADD Success", NeedsNetNS: true,
		Rule: "a chained plugin's result keeps every interface, IP and route of its prevResult", run: checkChain},
	{Name: "status", Section: "Section 2: STATUS; Section 5: Error",
		Rule: "STATUS succeeds, or fails with a code the spec defines (50/51 for unavailability) or a plugin-specific code of 100 or more", run: checkStatus},
	{Name: "gc", Section: "Section 2: GC; Section 3: Garbage-collecting a network", NeedsNetNS: true,
		Rule: "GC keeps every attachment in cni.dev/valid-attachments and releases the others' addresses", run: checkGC},
	{Name: "capabilities", Section: "Section 3: Deriving runtimeConfig", NeedsNetNS: true,
		Rule: "declared capabilities (mac, ips, portMappings, bandwidth) given through runtimeConfig take effect", run: checkCapabilities},
}

// supported returns p's VERSION answer for the list's version, running
// VERSION once.
func (r *run) supported(ctx context.Context, p *plugin) ([]string, error) {
	if p.supported != nil {
		return p.supported, nil
	}
	ex := r.exec(ctx, nil, invocation{typ: p.typ, path: p.path, command: "VERSION", stdin: versionStdin(r.s.list.CNIVersion)})
	vs, _, err := parseVersionAnswer(ex)
	if err != nil {
		return nil, err
	}
	p.supported = vs
	return vs, nil
}

func versionStdin(v string) []byte {
	b, _ := json.Marshal(map[string]string{"cniVersion": v})
	return b
}

// parseVersionAnswer checks a VERSION exchange and returns the supported
// versions and the answer's cniVersion.
func parseVersionAnswer(ex Exchange) ([]string, string, error) {
	if ex.ExitCode != 0 {
		return nil, "", &opError{ex}
	}
	var ans struct {
		CNIVersion        *string  `json:"cniVersion"`
		SupportedVersions []string `json:"supportedVersions"`
	}
	if err := singleJSON(ex.Stdout, &ans); err != nil {
		return nil, "", err
	}
	if ans.CNIVersion == nil {
		return nil, "", errors.New("the answer has no cniVersion")
	}
	if len(ans.SupportedVersions) == 0 {
		return nil, "", errors.New("supportedVersions is missing or empty")
	}
	for _, v := range ans.SupportedVersions {
		if !versionAtLeast(v, "0.0.0") {
			return nil, "", fmt.Errorf("supportedVersions has %q, not a version", v)
		}
	}
	return ans.SupportedVersions, *ans.CNIVersion, nil
}

// versionPlugins are the executables whose VERSION the suite asks: the
// list's plugins and the IPAM plugins they name.
func (r *run) versionPlugins() []*plugin {
	out := append([]*plugin(nil), r.s.plugins...)
	seen := map[string]bool{}
	for _, p := range r.s.plugins {
		seen[p.typ] = true
	}
	for _, p := range r.s.plugins {
		if p.ipam != "" && !seen[p.ipam] {
			seen[p.ipam] = true
			path, err := invoke.FindInPath(p.ipam, r.s.opts.PluginDirs)
			if err == nil {
				out = append(out, &plugin{typ: p.ipam, path: path})
			}
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func checkVersion(ctx context.Context, r *run) verdict {
	var probs []string
	for _, p := range r.versionPlugins() {
		vs, err := r.supported(ctx, p)
		if err != nil {
			probs = append(probs, fmt.Sprintf("%s: VERSION: %v", p.typ, err))
			continue
		}
		if !contains(vs, r.s.list.CNIVersion) {
			probs = append(probs, fmt.Sprintf("%s: supportedVersions %v does not list the configuration's version %s", p.typ, vs, r.s.list.CNIVersion))
		}
		other := unlistedVersion
		ex := r.exec(ctx, nil, invocation{typ: p.typ, path: p.path, command: "VERSION", stdin: versionStdin(other)})
		if _, _, err := parseVersionAnswer(ex); err != nil {
			probs = append(probs, fmt.Sprintf("%s: VERSION asked with %s: %v", p.typ, other, err))
		}
	}
	if len(probs) > 0 {
		return failf("%s", strings.Join(probs, "; "))
	}
	return passf("every plugin lists %s", r.s.list.CNIVersion)
}

func checkVersionEcho(ctx context.Context, r *run) verdict {
	var probs []string
	for _, p := range r.versionPlugins() {
		ex := r.exec(ctx, nil, invocation{typ: p.typ, path: p.path, command: "VERSION", stdin: versionStdin(r.s.list.CNIVersion)})
		_, got, err := parseVersionAnswer(ex)
		if err != nil {
			probs = append(probs, fmt.Sprintf("%s: %v", p.typ, err))
		} else if got != r.s.list.CNIVersion {
			probs = append(probs, fmt.Sprintf("%s answers cniVersion %q when asked with %q", p.typ, got, r.s.list.CNIVersion))
		}
	}
	if len(probs) > 0 {
		return failf("%s", strings.Join(probs, "; "))
	}
	return passf("every plugin answers with the requested version")
}

func checkVersionUnsupported(ctx context.Context, r *run) verdict {
	var probs, notes []string
	for i, p := range r.s.plugins {
		vs, err := r.supported(ctx, p)
		if err != nil {
			return skipf("%s: no usable VERSION answer: %v", p.typ, err)
		}
		// The newest released version the plugin does not list; the
		// configuration's own version is the version check's business.
		probe := unlistedVersion
		for _, v := range knownVersions {
			if !contains(vs, v) && v != r.s.list.CNIVersion {
				probe = v
			}
		}
		if contains(vs, probe) {
			return skipf("%s lists every version the suite could offer", p.typ)
		}
		a := &attachment{id: fmt.Sprintf("%s-vers-%d", r.s.opts.NamePrefix, i), ifname: r.s.opts.IfName}
		if namespacesAvailable() == nil {
			var err error
			if a, err = r.container(ctx); err != nil {
				return skipf("%v", err)
			}
		} else {
			a.netns = "/nonexistent/cni-conformance"
		}
		ex := r.exec(ctx, a, invocation{typ: p.typ, path: p.path, command: "ADD", stdin: r.stdin(i, probe, nil, nil, nil)})
		if ex.ExitCode == 0 {
			a.added = true
			probs = append(probs, fmt.Sprintf("%s accepted an ADD with cniVersion %s, which it does not list", p.typ, probe))
			continue
		}
		code, eprobs := errorProblems(ex)
		if len(eprobs) > 0 {
			probs = append(probs, fmt.Sprintf("%s, ADD with cniVersion %s: %s", p.typ, probe, strings.Join(eprobs, ", ")))
		} else if code != 1 {
			probs = append(probs, fmt.Sprintf("%s refused cniVersion %s with code %d, not 1", p.typ, probe, code))
		}
		notes = append(notes, fmt.Sprintf("%s: %s", p.typ, probe))
	}
	if len(probs) > 0 {
		return failf("%s", strings.Join(probs, "; "))
	}
	return passf("refused with code 1 (%s)", strings.Join(notes, ", "))
}

// addOne makes a container and ADDs it, returning a verdict when that
// did not work.
func (r *run) addOne(ctx context.Context, capArgs map[string]any) (*attachment, *verdict) {
	a, err := r.container(ctx)
	if err != nil {
		v := skipf("%v", err)
		return nil, &v
	}
	if err := r.add(ctx, a, capArgs); err != nil {
		v := failf("ADD failed: %v", err)
		return a, &v
	}
	return a, nil
}

func (r *run) legacyResult() bool { return !versionAtLeast(r.s.list.CNIVersion, "0.3.0") }

func checkAddResult(ctx context.Context, r *run) verdict {
	if r.legacyResult() {
		return skipf("results of version %s (before 0.3.0) are not checked", r.s.list.CNIVersion)
	}
	a, v := r.addOne(ctx, nil)
	if v != nil {
		return *v
	}
	var probs []string
	var final *wireResult
	for i, out := range a.results {
		res, p := validateResult(string(out), r.s.list.CNIVersion, a.netns, a.ifname)
		for _, s := range p {
			probs = append(probs, fmt.Sprintf("%s: %s", r.s.plugins[i].typ, s))
		}
		final = res
	}
	// The stored results are trimmed; check the raw stdout for extra text.
	for _, ex := range r.evidence {
		if ex.Command == "ADD" {
			var x any
			if err := singleJSON(ex.Stdout, &x); err != nil {
				probs = append(probs, fmt.Sprintf("%s: %v", ex.Plugin, err))
			}
		}
	}
	if len(probs) > 0 {
		return failf("%s", strings.Join(dedup(probs), "; "))
	}
	return passf("%d result(s) valid; final: %d interface(s), %d IP(s), %d route(s)", len(a.results), len(final.Interfaces), len(final.IPs), len(final.Routes))
}

func dedup(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func checkAddInterface(ctx context.Context, r *run) verdict {
	a, v := r.addOne(ctx, nil)
	if v != nil {
		return *v
	}
	links, err := r.links(a.netns)
	if err != nil {
		return skipf("listing the container's links: %v", err)
	}
	var probs []string
	if _, ok := links[a.ifname]; !ok {
		probs = append(probs, fmt.Sprintf("no link %q in the container after ADD", a.ifname))
	}
	var res wireResult
	if r.legacyResult() || json.Unmarshal(a.final, &res) != nil {
		if len(probs) > 0 {
			return failf("%s", strings.Join(probs, "; "))
		}
		return passf("%s exists (result not inspected)", a.ifname)
	}
	checked := 0
	for i, itf := range res.Interfaces {
		if itf.Sandbox != a.netns {
			continue
		}
		l, ok := links[itf.Name]
		if !ok {
			probs = append(probs, fmt.Sprintf("interfaces[%d] %q is not in the container", i, itf.Name))
			continue
		}
		checked++
		if itf.MAC != "" && !sameMAC(itf.MAC, l.MAC) {
			probs = append(probs, fmt.Sprintf("interfaces[%d] %q: reported MAC %s, the link has %s", i, itf.Name, itf.MAC, l.MAC))
		}
		for _, addr := range res.addrsOf(i) {
			found := false
			for _, have := range l.Addrs {
				if sameAddr(addr, have) {
					found = true
				}
			}
			if !found {
				probs = append(probs, fmt.Sprintf("%s: reported address %s is not on the link (it has %v)", itf.Name, addr, l.Addrs))
			}
		}
	}
	if len(probs) > 0 {
		return failf("%s", strings.Join(probs, "; "))
	}
	return passf("%s exists; %d reported container interface(s) match MAC and addresses", a.ifname, checked)
}

// snapshot is the link names and addresses of the host and a container.
func (r *run) snapshot(a *attachment) (string, error) {
	var parts []string
	for _, ns := range []string{r.host, a.netns} {
		links, err := r.links(ns)
		if err != nil {
			return "", err
		}
		var names []string
		for n, l := range links {
			addrs := append([]string(nil), l.Addrs...)
			sort.Strings(addrs)
			names = append(names, n+"="+strings.Join(addrs, ","))
		}
		sort.Strings(names)
		parts = append(parts, strings.Join(names, " "))
	}
	return "host: " + parts[0] + " | container: " + parts[1], nil
}

func checkBadInput(ctx context.Context, r *run) verdict {
	a, err := r.container(ctx)
	if err != nil {
		return skipf("%v", err)
	}
	before, err := r.snapshot(a)
	if err != nil {
		return skipf("%v", err)
	}
	var probs []string
	for i, p := range r.s.plugins {
		good := r.stdin(i, r.s.list.CNIVersion, nil, nil, nil)
		cases := []struct {
			what  string
			cmd   string
			env   map[string]*string
			stdin []byte
		}{
			{"invalid JSON on stdin", "ADD", nil, good[:len(good)/2]},
			{"CNI_COMMAND missing", "ADD", map[string]*string{"CNI_COMMAND": nil}, good},
			{"CNI_CONTAINERID missing", "ADD", map[string]*string{"CNI_CONTAINERID": nil}, good},
			{"CNI_IFNAME missing", "ADD", map[string]*string{"CNI_IFNAME": nil}, good},
			{"unknown CNI_COMMAND", "FROBNICATE", nil, good},
			{"interface name of 16 bytes", "ADD", map[string]*string{"CNI_IFNAME": strp("eth0123456789abc")}, good},
		}
		for _, c := range cases {
			ex := r.exec(ctx, a, invocation{typ: p.typ, path: p.path, command: c.cmd, env: c.env, stdin: c.stdin})
			if ex.ExitCode == 0 && strings.Contains(ex.Stdout, "interfaces") {
				a.added = true
			}
			if _, ep := errorProblems(ex); len(ep) > 0 {
				probs = append(probs, fmt.Sprintf("%s, %s: %s", p.typ, c.what, strings.Join(ep, ", ")))
			}
		}
	}
	after, err := r.snapshot(a)
	if err != nil {
		return skipf("%v", err)
	}
	if after != before {
		probs = append(probs, fmt.Sprintf("the namespaces changed: before %s; after %s", before, after))
	}
	if len(probs) > 0 {
		return failf("%s", strings.Join(probs, "; "))
	}
	return passf("6 bad inputs per plugin refused with error objects; nothing changed")
}

// checkApplies reports why CHECK is not run for this configuration.
func (r *run) checkSkip() string {
	v := r.s.list.CNIVersion
	if !versionAtLeast(v, "0.4.0") {
		return fmt.Sprintf("CHECK does not exist in version %s", v)
	}
	if r.s.list.DisableCheck {
		return "the configuration sets disableCheck"
	}
	return ""
}

func checkAfterAdd(ctx context.Context, r *run) verdict {
	if why := r.checkSkip(); why != "" {
		return skipf("%s", why)
	}
	a, v := r.addOne(ctx, nil)
	if v != nil {
		return *v
	}
	if err := r.check(ctx, a); err != nil {
		return failf("CHECK after ADD failed: %v", err)
	}
	return passf("CHECK succeeded")
}

func checkAfterDel(ctx context.Context, r *run) verdict {
	if why := r.checkSkip(); why != "" {
		return skipf("%s", why)
	}
	a, v := r.addOne(ctx, nil)
	if v != nil {
		return *v
	}
	if err := r.del(ctx, a, true); err != nil {
		return skipf("DEL failed, so CHECK after DEL cannot be judged: %v", err)
	}
	err := r.check(ctx, a)
	if err == nil {
		return failf("CHECK succeeded for an attachment that was deleted")
	}
	var oe *opError
	if errors.As(err, &oe) {
		if _, probs := errorProblems(oe.ex); len(probs) > 0 {
			return failf("CHECK after DEL failed, but: %s", strings.Join(probs, ", "))
		}
	}
	return passf("CHECK after DEL failed: %v", err)
}

// probeRelease ADDs up to ReleaseProbes other containers and reports
// whether one received an address of want, and the problems: a probe
// that could not be added, or one given an address of forbid.
func (r *run) probeRelease(ctx context.Context, want, forbid []string) (bool, []string) {
	for k := 1; k <= r.s.opts.ReleaseProbes; k++ {
		a, err := r.container(ctx)
		if err != nil {
			return false, []string{err.Error()}
		}
		if err := r.add(ctx, a, nil); err != nil {
			return false, []string{fmt.Sprintf("probe container %d could not be added (are addresses leaked?): %v", k, err)}
		}
		found := false
		for _, ip := range resultIPs(a.final) {
			if contains(forbid, ip) {
				return false, []string{fmt.Sprintf("probe container %d was given %s, which a live attachment holds", k, ip)}
			}
			if contains(want, ip) {
				found = true
			}
		}
		if found {
			return true, nil
		}
	}
	return false, nil
}

func checkDelRemoves(ctx context.Context, r *run) verdict {
	// A first attachment sets up what the network shares (a bridge, say);
	// what is left after the second one's DEL is a leak.
	w, v := r.addOne(ctx, nil)
	if v != nil {
		return *v
	}
	if err := r.del(ctx, w, true); err != nil {
		return failf("DEL failed: %v", err)
	}
	hostBefore, err := r.links(r.host)
	if err != nil {
		return skipf("%v", err)
	}
	b, err := r.container(ctx)
	if err != nil {
		return skipf("%v", err)
	}
	ctrBefore, err := r.links(b.netns)
	if err != nil {
		return skipf("%v", err)
	}
	if err := r.add(ctx, b, nil); err != nil {
		return failf("second ADD failed: %v", err)
	}
	if err := r.del(ctx, b, true); err != nil {
		return failf("DEL failed: %v", err)
	}
	var probs []string
	ctrAfter, err := r.links(b.netns)
	if err != nil {
		return skipf("%v", err)
	}
	for n := range ctrAfter {
		if _, ok := ctrBefore[n]; !ok {
			probs = append(probs, fmt.Sprintf("link %q is still in the container after DEL", n))
		}
	}
	hostAfter, err := r.links(r.host)
	if err != nil {
		return skipf("%v", err)
	}
	for n := range hostAfter {
		if _, ok := hostBefore[n]; !ok {
			probs = append(probs, fmt.Sprintf("host link %q is left after DEL", n))
		}
	}
	if len(probs) > 0 {
		sort.Strings(probs)
		return failf("%s", strings.Join(probs, "; "))
	}
	ips := resultIPs(b.final)
	if len(ips) == 0 {
		return passf("nothing of the attachment is left (no addresses to see released)")
	}
	found, p := r.probeRelease(ctx, ips, nil)
	if len(p) > 0 {
		return failf("%s", strings.Join(p, "; "))
	}
	if !found {
		return passf("nothing of the attachment is left; %v not handed out again within %d probes (release not observed: pool larger than the probes?)", ips, r.s.opts.ReleaseProbes)
	}
	return passf("nothing of the attachment is left; another container received %v again", ips)
}

func checkDelTwice(ctx context.Context, r *run) verdict {
	a, v := r.addOne(ctx, nil)
	if v != nil {
		return *v
	}
	if err := r.del(ctx, a, true); err != nil {
		return failf("first DEL failed: %v", err)
	}
	if err := r.del(ctx, a, true); err != nil {
		return failf("second DEL failed: %v", err)
	}
	return passf("both DELs succeeded")
}

func checkDelWithoutAdd(ctx context.Context, r *run) verdict {
	a, err := r.container(ctx)
	if err != nil {
		return skipf("%v", err)
	}
	if err := r.del(ctx, a, false); err != nil {
		return failf("DEL of an attachment never added failed: %v", err)
	}
	return passf("DEL succeeded")
}

func checkDelNetNSGone(ctx context.Context, r *run) verdict {
	a, v := r.addOne(ctx, nil)
	if v != nil {
		return *v
	}
	if err := r.removeNetNS(ctx, a); err != nil {
		return skipf("removing the container namespace: %v", err)
	}
	if err := r.del(ctx, a, true); err != nil {
		return failf("DEL with the namespace gone failed: %v", err)
	}
	return passf("DEL succeeded with CNI_NETNS=%s removed", a.netns)
}

func checkDelWithoutPrev(ctx context.Context, r *run) verdict {
	a, v := r.addOne(ctx, nil)
	if v != nil {
		return *v
	}
	if err := r.del(ctx, a, false); err != nil {
		return failf("DEL without prevResult failed: %v", err)
	}
	return passf("DEL succeeded")
}

func checkChain(ctx context.Context, r *run) verdict {
	if len(r.s.plugins) < 2 {
		return skipf("the list has one plugin, so none gets a prevResult")
	}
	if r.legacyResult() {
		return skipf("results of version %s are not compared", r.s.list.CNIVersion)
	}
	a, v := r.addOne(ctx, nil)
	if v != nil {
		return *v
	}
	var probs []string
	for i := 1; i < len(a.results); i++ {
		var prev, out wireResult
		if json.Unmarshal(a.results[i-1], &prev) != nil || json.Unmarshal(a.results[i], &out) != nil {
			probs = append(probs, fmt.Sprintf("%s: result or prevResult is not a JSON result", r.s.plugins[i].typ))
			continue
		}
		names := map[string]bool{}
		for _, itf := range out.Interfaces {
			names[itf.Name] = true
		}
		for _, itf := range prev.Interfaces {
			if !names[itf.Name] {
				probs = append(probs, fmt.Sprintf("%s dropped interface %q of its prevResult", r.s.plugins[i].typ, itf.Name))
			}
		}
		for _, ip := range prev.IPs {
			found := false
			for _, o := range out.IPs {
				found = found || sameAddr(ip.Address, o.Address)
			}
			if !found {
				probs = append(probs, fmt.Sprintf("%s dropped address %s of its prevResult", r.s.plugins[i].typ, ip.Address))
			}
		}
		for _, rt := range prev.Routes {
			found := false
			for _, o := range out.Routes {
				found = found || (o.Dst == rt.Dst && o.GW == rt.GW)
			}
			if !found {
				probs = append(probs, fmt.Sprintf("%s dropped route %s of its prevResult", r.s.plugins[i].typ, rt.Dst))
			}
		}
	}
	if len(probs) > 0 {
		return failf("%s", strings.Join(probs, "; "))
	}
	return passf("%d chained plugin(s) kept their prevResult", len(a.results)-1)
}

func checkStatus(ctx context.Context, r *run) verdict {
	if !versionAtLeast(r.s.list.CNIVersion, "1.1.0") {
		return skipf("STATUS exists from version 1.1.0; the configuration is %s", r.s.list.CNIVersion)
	}
	if namespacesAvailable() == nil {
		if _, err := r.hostNS(ctx); err != nil {
			return skipf("%v", err)
		}
	}
	var probs, notes []string
	for i, p := range r.s.plugins {
		ex := r.exec(ctx, nil, invocation{typ: p.typ, path: p.path, command: "STATUS", stdin: r.stdin(i, r.s.list.CNIVersion, nil, nil, nil)})
		if ex.ExitCode == 0 {
			notes = append(notes, p.typ+" ready")
			continue
		}
		code, ep := errorProblems(ex)
		if len(ep) > 0 {
			probs = append(probs, fmt.Sprintf("%s: %s", p.typ, strings.Join(ep, ", ")))
		} else {
			notes = append(notes, fmt.Sprintf("%s not ready (code %d)", p.typ, code))
		}
	}
	if len(probs) > 0 {
		return failf("%s", strings.Join(probs, "; "))
	}
	return passf("%s", strings.Join(notes, ", "))
}

func checkGC(ctx context.Context, r *run) verdict {
	if !versionAtLeast(r.s.list.CNIVersion, "1.1.0") {
		return skipf("GC exists from version 1.1.0; the configuration is %s", r.s.list.CNIVersion)
	}
	if r.s.list.DisableGC {
		return skipf("the configuration sets disableGC")
	}
	keep, v := r.addOne(ctx, nil)
	if v != nil {
		return *v
	}
	stale, err := r.container(ctx)
	if err != nil {
		return skipf("%v", err)
	}
	if err := r.add(ctx, stale, nil); err != nil {
		return skipf("a second attachment could not be added with this configuration, so GC cannot be judged: %v", err)
	}
	// A runtime collects garbage after the container is gone.
	if err := r.removeNetNS(ctx, stale); err != nil {
		return skipf("removing the stale container's namespace: %v", err)
	}
	before, _ := r.links(keep.netns)
	if err := r.gc(ctx, []*attachment{keep}); err != nil {
		return failf("GC failed: %v", err)
	}
	var probs []string
	if r.checkSkip() == "" {
		if err := r.check(ctx, keep); err != nil {
			probs = append(probs, fmt.Sprintf("CHECK of the kept attachment failed after GC: %v", err))
		}
	}
	links, err := r.links(keep.netns)
	if _, had := before[keep.ifname]; had && err == nil {
		if _, ok := links[keep.ifname]; !ok {
			probs = append(probs, fmt.Sprintf("the kept attachment's %s is gone after GC", keep.ifname))
		}
	}
	if len(probs) > 0 {
		return failf("%s", strings.Join(probs, "; "))
	}
	keepIPs, staleIPs := resultIPs(keep.final), resultIPs(stale.final)
	if len(staleIPs) == 0 {
		return passf("the valid attachment is intact (no addresses to see released)")
	}
	for _, ip := range staleIPs {
		if contains(keepIPs, ip) {
			return passf("the valid attachment is intact; both attachments hold %s, so the release is not observable", ip)
		}
	}
	found, p := r.probeRelease(ctx, staleIPs, keepIPs)
	if len(p) > 0 {
		return failf("after GC: %s", strings.Join(p, "; "))
	}
	if !found {
		return passf("the valid attachment is intact; %v not handed out again within %d probes (release not observed)", staleIPs, r.s.opts.ReleaseProbes)
	}
	return passf("the valid attachment is intact; another container received the stale attachment's %v", staleIPs)
}

// testMAC is the address the capabilities check asks for.
const testMAC = "02:c0:ff:ee:18:01"

// testHostPort is the host port the capabilities check maps.
const testHostPort = 18080

func checkCapabilities(ctx context.Context, r *run) verdict {
	declared := map[string]bool{}
	for _, p := range r.s.plugins {
		for c, on := range p.caps {
			if on {
				declared[c] = true
			}
		}
	}
	if len(declared) == 0 {
		return skipf("no plugin declares a capability")
	}
	var names []string
	for c := range declared {
		names = append(names, c)
	}
	sort.Strings(names)
	var probs, ok, unverified []string
	for _, c := range names {
		var p []string
		var note string
		switch c {
		case "mac":
			p, note = r.capMAC(ctx)
		case "ips":
			p, note = r.capIPs(ctx)
		case "portMappings":
			p, note = r.capPortMappings(ctx)
		case "bandwidth":
			p, note = r.capBandwidth(ctx)
		default:
			note = "not verified by the suite"
		}
		switch {
		case len(p) > 0:
			probs = append(probs, c+": "+strings.Join(p, ", "))
		case strings.HasPrefix(note, "not verified"):
			unverified = append(unverified, c+" ("+note+")")
		default:
			ok = append(ok, c+": "+note)
		}
	}
	if len(probs) > 0 {
		return failf("%s", strings.Join(probs, "; "))
	}
	if len(ok) == 0 {
		return skipf("%s", strings.Join(unverified, "; "))
	}
	reason := strings.Join(ok, "; ")
	if len(unverified) > 0 {
		reason += "; " + strings.Join(unverified, "; ")
	}
	return passf("%s", reason)
}

func (r *run) capMAC(ctx context.Context) ([]string, string) {
	a, v := r.addOne(ctx, map[string]any{"mac": testMAC})
	if v != nil {
		return []string{v.reason}, ""
	}
	links, err := r.links(a.netns)
	if err != nil {
		return nil, "not verified: " + err.Error()
	}
	if got := links[a.ifname].MAC; !strings.EqualFold(got, testMAC) {
		return []string{fmt.Sprintf("asked for %s, %s has %q", testMAC, a.ifname, got)}, ""
	}
	// Each capability's attachment is removed before the next one, so a
	// small address pool suffices.
	if err := r.del(ctx, a, true); err != nil {
		return []string{"DEL failed: " + err.Error()}, ""
	}
	return nil, a.ifname + " has " + testMAC
}

func (r *run) capIPs(ctx context.Context) ([]string, string) {
	first, v := r.addOne(ctx, nil)
	if v != nil {
		return []string{v.reason}, ""
	}
	var res wireResult
	if json.Unmarshal(first.final, &res) != nil || len(res.IPs) == 0 {
		return nil, "not verified: the ADD result has no address to ask for"
	}
	want := res.IPs[len(res.IPs)-1].Address
	if err := r.del(ctx, first, true); err != nil {
		return []string{"DEL failed: " + err.Error()}, ""
	}
	a, v := r.addOne(ctx, map[string]any{"ips": []string{want}})
	if v != nil {
		return []string{v.reason}, ""
	}
	var got wireResult
	_ = json.Unmarshal(a.final, &got)
	if err := r.del(ctx, a, true); err != nil {
		return []string{"DEL failed: " + err.Error()}, ""
	}
	for _, ip := range got.IPs {
		if sameAddr(ip.Address, want) {
			return nil, "the result has " + want
		}
	}
	return []string{fmt.Sprintf("asked for %s, the result has %v", want, resultIPs(a.final))}, ""
}

// hostRules returns the host namespace's packet filter rules.
func (r *run) hostRules(ctx context.Context) (string, bool) {
	var out []string
	listed := false
	for _, c := range [][]string{{"iptables-save"}, {"ip6tables-save"}, {"nft", "list", "ruleset"}} {
		if _, err := exec.LookPath(c[0]); err != nil {
			continue
		}
		b, err := inNS(ctx, r.host, c[0], c[1:]...)
		if err == nil {
			listed = true
			out = append(out, string(b))
		}
	}
	return strings.Join(out, "\n"), listed
}

func (r *run) capPortMappings(ctx context.Context) ([]string, string) {
	pm := []map[string]any{{"hostPort": testHostPort, "containerPort": 80, "protocol": "tcp"}}
	a, v := r.addOne(ctx, map[string]any{"portMappings": pm})
	if v != nil {
		return []string{v.reason}, ""
	}
	rules, ok := r.hostRules(ctx)
	if !ok {
		return nil, "not verified: neither iptables-save nor nft could list the rules"
	}
	port := fmt.Sprintf("dport %d", testHostPort)
	if !strings.Contains(rules, port) {
		return []string{fmt.Sprintf("no rule for host port %d in the host namespace after ADD", testHostPort)}, ""
	}
	if err := r.del(ctx, a, true); err != nil {
		return []string{"DEL failed: " + err.Error()}, ""
	}
	if rules, _ := r.hostRules(ctx); strings.Contains(rules, port) {
		return []string{fmt.Sprintf("the rule for host port %d is left after DEL", testHostPort)}, ""
	}
	return nil, fmt.Sprintf("a rule for host port %d while attached, none after DEL", testHostPort)
}

func (r *run) capBandwidth(ctx context.Context) ([]string, string) {
	if _, err := exec.LookPath("tc"); err != nil {
		return nil, "not verified: the tc command is missing"
	}
	bw := map[string]any{"ingressRate": 8000000, "ingressBurst": 80000, "egressRate": 8000000, "egressBurst": 80000}
	a, v := r.addOne(ctx, map[string]any{"bandwidth": bw})
	if v != nil {
		return []string{v.reason}, ""
	}
	out, err := inNS(ctx, r.host, "tc", "qdisc", "show")
	if derr := r.del(ctx, a, true); derr != nil {
		return []string{"DEL failed: " + derr.Error()}, ""
	}
	if err != nil {
		return nil, "not verified: tc qdisc show: " + err.Error()
	}
	if !strings.Contains(string(out), "tbf") {
		return []string{"no tbf qdisc in the host namespace after ADD"}, ""
	}
	return nil, "a tbf qdisc shapes the attachment"
}

// sameMAC compares two hardware addresses; the empty one (Go's view of a
// loopback link) equals all zeros.
func sameMAC(a, b string) bool {
	norm := func(s string) string {
		if s == "" {
			return "00:00:00:00:00:00"
		}
		return strings.ToLower(s)
	}
	return norm(a) == norm(b)
}
