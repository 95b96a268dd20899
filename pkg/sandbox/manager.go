package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cnirt/cni/libcni"
	"github.com/cnirt/cni/pkg/utils"
)

// Defaults of a Manager.
const (
	// DefaultConfDir is the configuration directory used without
	// WithConfDir.
	DefaultConfDir = "/etc/cni/net.d"
	// DefaultPluginDir is the plugin directory used without
	// WithPluginDirs.
	DefaultPluginDir = "/opt/cni/bin"
	// DefaultParallelism bounds the plugin chains one Attach runs at once
	// without WithParallelism.
	DefaultParallelism = 8
	// DefaultDebounce is how long a watching Manager waits for the
	// directory to be quiet before reloading, without a WithWatch value.
	DefaultDebounce = 100 * time.Millisecond
	// DefaultCleanupTimeout bounds the cleanup work (rollback DELs of a
	// failed Attach; Detach and GC once their context has ended) without
	// WithCleanupTimeout.
	DefaultCleanupTimeout = time.Minute
)

// Option configures a Manager.
type Option func(*options) error

type options struct {
	confDir        string
	pluginDirs     []string
	cacheDir       string
	cni            *libcni.CNIConfig
	maxNetworks    int
	names          []string
	loopback       bool
	parallelism    int
	ifPrefix       string
	ifNames        map[string]string
	watch          bool
	debounce       time.Duration
	watchErrors    func(error)
	cleanupTimeout time.Duration
	uncachedDetach bool
}

// WithConfDir sets the configuration directory (default DefaultConfDir).
func WithConfDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("WithConfDir: empty directory")
		}
		o.confDir = dir
		return nil
	}
}

// WithPluginDirs sets the directories searched for plugins (default
// DefaultPluginDir). It is ignored when WithCNI is given.
func WithPluginDirs(dirs ...string) Option {
	return func(o *options) error {
		o.pluginDirs = append([]string(nil), dirs...)
		return nil
	}
}

// WithCacheDir sets the libcni cache directory (results and locks). It is
// ignored when WithCNI is given.
func WithCacheDir(dir string) Option {
	return func(o *options) error {
		o.cacheDir = dir
		return nil
	}
}

// WithCNI makes the Manager run every plugin through c, for example a
// CNIConfig built with an observability hook or a durable cache. c must
// be built by a libcni constructor (so that it can hold locks); its cache
// directory is the one Detach and GC read.
func WithCNI(c *libcni.CNIConfig) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("WithCNI: nil CNIConfig")
		}
		o.cni = c
		return nil
	}
}

// WithMaxNetworks selects up to n valid networks in file order (go-cni's
// max-conf-num); the default is 1, the first valid network.
func WithMaxNetworks(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("WithMaxNetworks: %d is not a positive number", n)
		}
		o.maxNetworks = n
		return nil
	}
}

// WithNetworks selects the networks with the given names, in this order,
// instead of the first ones in file order. The Manager is not ready while
// one of them is missing.
func WithNetworks(names ...string) Option {
	return func(o *options) error {
		for _, n := range names {
			if err := utils.ValidateNetworkName(n); err != nil {
				return fmt.Errorf("WithNetworks: %q: %w", n, err)
			}
		}
		o.names = append([]string(nil), names...)
		return nil
	}
}

// WithLoopback adds a loopback network (plugin "loopback", interface
// "lo"), attached with the others and detached last.
func WithLoopback() Option {
	return func(o *options) error {
		o.loopback = true
		return nil
	}
}

// WithParallelism bounds how many networks one Attach sets up at once
// (default DefaultParallelism); 1 attaches serially.
func WithParallelism(n int) Option {
	return func(o *options) error {
		if n < 1 {
			return fmt.Errorf("WithParallelism: %d is not a positive number", n)
		}
		o.parallelism = n
		return nil
	}
}

// WithInterfacePrefix names the interfaces prefix0, prefix1, ... in
// network order, as go-cni does, instead of eth0, net1, net2, ...
func WithInterfacePrefix(prefix string) Option {
	return func(o *options) error {
		if err := utils.ValidateInterfaceName(prefix + "0"); err != nil {
			return fmt.Errorf("WithInterfacePrefix: %w", err)
		}
		o.ifPrefix = prefix
		return nil
	}
}

// WithInterfaceName gives the attachments of network the interface name
// ifName.
func WithInterfaceName(network, ifName string) Option {
	return func(o *options) error {
		if err := utils.ValidateInterfaceName(ifName); err != nil {
			return fmt.Errorf("WithInterfaceName %q: %w", network, err)
		}
		if o.ifNames == nil {
			o.ifNames = map[string]string{}
		}
		o.ifNames[network] = ifName
		return nil
	}
}

// WithCleanupTimeout bounds the cleanup work that must not be cut short
// by the caller's context (default DefaultCleanupTimeout):
//
//   - the rollback DELs of a failed Attach, all together: they run whether
//     or not the Attach's context was cancelled or has expired, since the
//     rollback must not be cut short by what made the Attach fail; the
//     cancellation of that context does not reach them, and this timeout
//     is what ends them;
//   - Detach and GC (their lock waits, DELs and GC runs): they run under
//     the caller's context while it lasts, and for at most this timeout
//     after it has ended, or after they started when it had ended
//     already, so a DEL is not killed halfway and an expired context does
//     not leak the addresses of the sandboxes it was meant to release.
func WithCleanupTimeout(d time.Duration) Option {
	return func(o *options) error {
		if d <= 0 {
			return fmt.Errorf("WithCleanupTimeout: %v is not positive", d)
		}
		o.cleanupTimeout = d
		return nil
	}
}

// WithUncachedDetach makes Detach of a sandbox the cache knows nothing
// of (no cache entry and no attach record) DEL it from every network the
// current configuration selects, in reverse order, at the interface names
// Attach gives them, with Sandbox.NetNS and neither CNI_ARGS nor
// capability arguments: what containerd (through go-cni) and CRI-O
// (through ocicni) do when their cache has nothing. It is for runtimes
// whose cache directory can be lost while sandboxes are attached (kept on
// a tmpfs, or wiped): without it such a Detach succeeds without running a
// plugin, and what the plugins set up (a host-local address, a veth)
// stays until the plugins' own GC, where they have one. The DELs run for
// a sandbox that was never attached too, which conforming plugins accept;
// since plugins run, a failing DEL (a plugin missing) fails the Detach,
// with a *SandboxError naming the network.
func WithUncachedDetach() Option {
	return func(o *options) error {
		o.uncachedDetach = true
		return nil
	}
}

// Manager attaches sandboxes to the networks of a configuration
// directory. It is safe for concurrent use. Build it with New; Close it
// when it watches the directory.
type Manager struct {
	opts options
	cni  *libcni.CNIConfig

	set atomic.Pointer[NetworkSet]

	// gcMu keeps GC apart from the Attaches of this Manager: each Attach
	// holds it shared from before it picks its network set until its
	// cache entries are written (or rolled back), GC holds it
	// exclusively, so the cache GC lists holds every attachment an Attach
	// set up, whatever configuration it started with.
	gcMu sync.RWMutex

	mu     sync.Mutex // guards gen, subs and reload ordering
	gen    uint64
	subs   map[*subscription]struct{}
	closed bool

	stopWatch    func()        // stops the watch and waits for it
	watchStopped chan struct{} // closed when the watch has stopped
}

// cleanupContext returns a context with the values of ctx that is not
// cancelled by ctx: it ends the cleanup timeout after ctx has ended (after
// now, if ctx has ended already). cancel releases its resources.
func (m *Manager) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	d := m.opts.cleanupTimeout
	var mu sync.Mutex
	var timer *time.Timer
	stopped := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !stopped {
			timer = time.AfterFunc(d, func() {
				cancel(fmt.Errorf("cleanup timeout of %v after the caller's context ended (%w): %w", d, context.Cause(ctx), context.DeadlineExceeded))
			})
		}
	})
	return cctx, func() {
		stop()
		mu.Lock()
		stopped = true
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel(context.Canceled)
	}
}

// New builds a Manager and loads the configuration directory once. A
// directory without any valid network is not an error (see Ready); an
// unreadable directory is.
func New(opts ...Option) (*Manager, error) {
	o := options{
		confDir:        DefaultConfDir,
		pluginDirs:     []string{DefaultPluginDir},
		maxNetworks:    1,
		parallelism:    DefaultParallelism,
		debounce:       DefaultDebounce,
		cleanupTimeout: DefaultCleanupTimeout,
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	m := &Manager{opts: o, cni: o.cni, subs: map[*subscription]struct{}{}}
	if m.cni == nil {
		var copts []libcni.Option
		if o.cacheDir != "" {
			copts = append(copts, libcni.WithCacheDir(o.cacheDir))
		}
		m.cni = libcni.NewCNIConfigWithOptions(o.pluginDirs, nil, copts...)
	}
	if _, err := m.Reload(); err != nil {
		return nil, err
	}
	if o.watch {
		if err := m.startWatch(); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// CNI returns the libcni.CNIConfig the Manager runs plugins through.
func (m *Manager) CNI() *libcni.CNIConfig { return m.cni }

// Networks returns the current set of networks.
func (m *Manager) Networks() *NetworkSet { return m.set.Load() }

// Reload reads the configuration directory now and, when it could be
// read, replaces the current set of networks with the new one and tells
// the subscribers. Operations in flight keep the set they started with.
func (m *Manager) Reload() (*NetworkSet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	set, err := loadDir(&m.opts)
	if err != nil {
		return nil, err
	}
	m.gen++
	set.Generation = m.gen
	m.set.Store(set)
	for s := range m.subs {
		s.offer(set)
	}
	return set, nil
}

// Close stops watching the directory and closes the subscriptions'
// channels; every call, concurrent ones included, returns once the watch
// has stopped. The Manager still attaches and detaches afterwards, with
// the last set of networks.
func (m *Manager) Close() error {
	m.mu.Lock()
	stop := m.stopWatch // idempotent, and waits for a concurrent stop
	m.closed = true
	for s := range m.subs {
		s.close()
		delete(m.subs, s)
	}
	m.mu.Unlock()
	if stop != nil {
		stop()
	}
	return nil
}

// subscription delivers the newest NetworkSet on a channel of one slot.
type subscription struct {
	ch   chan *NetworkSet
	once sync.Once
}

// offer replaces an undelivered set by set. Called with m.mu held.
func (s *subscription) offer(set *NetworkSet) {
	select {
	case <-s.ch:
	default:
	}
	s.ch <- set
}

func (s *subscription) close() { s.once.Do(func() { close(s.ch) }) }

// Subscribe returns a channel that receives the new NetworkSet after each
// reload. A slow reader misses intermediate sets but always gets the
// newest one. cancel ends the subscription and closes the channel; Close
// does too.
func (m *Manager) Subscribe() (sets <-chan *NetworkSet, cancel func()) {
	s := &subscription{ch: make(chan *NetworkSet, 1)}
	m.mu.Lock()
	if m.closed {
		s.close()
	} else {
		m.subs[s] = struct{}{}
	}
	m.mu.Unlock()
	return s.ch, func() {
		m.mu.Lock()
		if _, ok := m.subs[s]; ok {
			delete(m.subs, s)
			s.close()
		}
		m.mu.Unlock()
	}
}

// ErrNotReady is wrapped by every *NotReadyError.
var ErrNotReady = errors.New("network not ready")

// NotReadyError says why the Manager cannot attach sandboxes.
type NotReadyError struct {
	// Dir is the configuration directory.
	Dir string
	// Missing names networks asked for by WithNetworks that are not
	// configured.
	Missing []string
	// Problems are the skipped configuration files.
	Problems []*ConfigProblem
	// Status holds the networks whose STATUS failed; each Err reaches
	// the plugin's *types.Error (errors.As), whose Code says why (50:
	// plugin not available, 51: limited connectivity, ...).
	Status []*NetworkError
}

// Error says what is missing or failing.
func (e *NotReadyError) Error() string {
	var b strings.Builder
	b.WriteString("network not ready: ")
	switch {
	case len(e.Status) > 0:
		for i, s := range e.Status {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(s.Error())
		}
	case len(e.Missing) > 0:
		fmt.Fprintf(&b, "networks %q not found in %s", e.Missing, e.Dir)
	default:
		fmt.Fprintf(&b, "no valid network configuration in %s", e.Dir)
	}
	if len(e.Problems) > 0 {
		fmt.Fprintf(&b, " (%d file(s) skipped: ", len(e.Problems))
		for i, p := range e.Problems {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(p.Error())
		}
		b.WriteString(")")
	}
	return b.String()
}

// Is reports ErrNotReady.
func (e *NotReadyError) Is(target error) bool { return target == ErrNotReady }

// Unwrap returns the STATUS failures.
func (e *NotReadyError) Unwrap() []error {
	errs := make([]error, 0, len(e.Status))
	for _, s := range e.Status {
		errs = append(errs, s)
	}
	return errs
}

// notReady returns why set cannot be attached to without running any
// plugin, or nil.
func (m *Manager) notReady(set *NetworkSet) *NotReadyError {
	if len(set.Missing) == 0 && len(set.Networks) > 0 {
		return nil
	}
	return &NotReadyError{Dir: m.opts.confDir, Missing: set.Missing, Problems: set.Problems}
}

// Ready returns nil when sandboxes can be attached: the selected networks
// are configured and every plugin answers STATUS successfully (networks of
// version 1.1.0 and later). Otherwise it returns a *NotReadyError saying
// why.
func (m *Manager) Ready(ctx context.Context) error {
	set := m.set.Load()
	if nr := m.notReady(set); nr != nil {
		return nr
	}
	var failed []*NetworkError
	for _, st := range m.status(ctx, set) {
		if st.Err != nil {
			failed = append(failed, st)
		}
	}
	if len(failed) > 0 {
		return &NotReadyError{Dir: m.opts.confDir, Status: failed}
	}
	return nil
}
