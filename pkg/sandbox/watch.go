package sandbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Bounds of the watch.
const (
	// maxDelayFactor times the debounce is the longest a reload waits for
	// the directory to be quiet; a directory that keeps changing is
	// reloaded that often.
	maxDelayFactor = 10
	// maxRewatchBackoff bounds the wait between two attempts to watch a
	// configuration directory that was removed or renamed.
	maxRewatchBackoff = 2 * time.Second
)

// WithWatch makes the Manager watch the configuration directory (with
// fsnotify) and reload it after every change, once the directory has been
// quiet for debounce (DefaultDebounce when debounce is 0), or at the
// latest ten times debounce after the first change, so that constant churn
// cannot put the reload off forever. Every event counts as a change,
// attribute changes and names without a configuration extension included:
// a Kubernetes ConfigMap volume swaps its files by renaming a "..data"
// symbolic link. The directory is created when it does not exist, so that
// a runtime can start before the network is configured; when it is removed
// or renamed, the Manager reloads (an absent directory has no networks)
// and watches it again once it exists. A watcher error makes the Manager
// reload too, since events may have been lost. Close stops watching.
func WithWatch(debounce time.Duration) Option {
	return func(o *options) error {
		if debounce < 0 {
			return fmt.Errorf("WithWatch: negative debounce %v", debounce)
		}
		o.watch = true
		if debounce > 0 {
			o.debounce = debounce
		}
		return nil
	}
}

// WithWatchErrors makes a watching Manager call f with every error of the
// watch: errors of the watcher itself (the kernel's event queue
// overflowed, say), failures to watch the directory again after it was
// removed (other than its absence), and failed reloads, after which the
// Manager keeps its current set of networks. f runs on the watch's
// goroutine and should return quickly; it must not call Manager.Close,
// which waits for that goroutine (start Close on another goroutine
// instead). Without it the errors are dropped.
func WithWatchErrors(f func(err error)) Option {
	return func(o *options) error {
		o.watchErrors = f
		return nil
	}
}

// startWatch starts the goroutine that reloads on changes.
func (m *Manager) startWatch() error {
	if err := os.MkdirAll(m.opts.confDir, 0o755); err != nil {
		return fmt.Errorf("watching %s: %w", m.opts.confDir, err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching %s: %w", m.opts.confDir, err)
	}
	if err := w.Add(m.opts.confDir); err != nil {
		_ = w.Close()
		return fmt.Errorf("watching %s: %w", m.opts.confDir, err)
	}
	// A change between the first load and the watch would be missed.
	if _, err := m.Reload(); err != nil {
		_ = w.Close()
		return err
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		m.watchLoop(w, done)
	}()
	var once sync.Once
	m.mu.Lock()
	m.watchStopped = stopped
	m.stopWatch = func() {
		once.Do(func() {
			close(done)
			_ = w.Close()
		})
		<-stopped
	}
	m.mu.Unlock()
	return nil
}

// watchError hands err to the WithWatchErrors function.
func (m *Manager) watchError(err error) {
	if m.opts.watchErrors != nil && err != nil {
		m.opts.watchErrors(err)
	}
}

// watchLoop reloads the directory debounce after the last event (at most
// maxDelayFactor times debounce after the first), and watches the
// directory again when it was removed or renamed.
func (m *Manager) watchLoop(w *fsnotify.Watcher, done <-chan struct{}) {
	dir := filepath.Clean(m.opts.confDir)
	debounce := m.opts.debounce
	reload := time.NewTimer(time.Hour)
	reload.Stop()
	defer reload.Stop()
	var pendingSince time.Time // first change not reloaded yet; zero if none
	schedule := func() {
		now := time.Now()
		if pendingSince.IsZero() {
			pendingSince = now
		}
		wait := min(debounce, maxDelayFactor*debounce-now.Sub(pendingSince))
		reload.Reset(max(wait, 0))
	}

	// While the directory is not watched, rewatch fires to try again.
	rewatch := time.NewTimer(time.Hour)
	rewatch.Stop()
	defer rewatch.Stop()
	var lost bool
	var backoff time.Duration
	for {
		select {
		case <-done:
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if filepath.Clean(ev.Name) == dir && ev.Has(fsnotify.Remove|fsnotify.Rename) && !lost {
				// The kernel dropped the watch with the directory.
				lost = true
				backoff = min(debounce, maxRewatchBackoff)
				rewatch.Reset(backoff)
			}
			schedule()
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			// Events may have been lost: reload to be sure.
			m.watchError(fmt.Errorf("watching %s: %w", m.opts.confDir, err))
			schedule()
		case <-rewatch.C:
			_ = w.Remove(m.opts.confDir) // in case the watcher still has it
			if err := w.Add(m.opts.confDir); err != nil {
				if !errors.Is(err, fs.ErrNotExist) {
					m.watchError(fmt.Errorf("watching %s again: %w", m.opts.confDir, err))
				}
				backoff = min(2*backoff, maxRewatchBackoff)
				rewatch.Reset(backoff)
				continue
			}
			lost = false
			// Whatever the directory got before the watch is read now.
			schedule()
		case <-reload.C:
			pendingSince = time.Time{}
			// An unreadable directory keeps the current set.
			if _, err := m.Reload(); err != nil {
				m.watchError(err)
			}
		}
	}
}
