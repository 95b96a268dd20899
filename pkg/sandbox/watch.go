package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WithWatch makes the Manager watch the configuration directory (with
// fsnotify) and reload it after every change, once the directory has been
// quiet for debounce (DefaultDebounce when debounce is 0). The directory
// is created when it does not exist, so that a runtime can start before
// the network is configured. Close stops watching.
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
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.watchLoop(w, done)
	}()
	var once sync.Once
	m.mu.Lock()
	m.stopWatch = func() {
		once.Do(func() {
			close(done)
			_ = w.Close()
			wg.Wait()
		})
	}
	m.mu.Unlock()
	return nil
}

// relevant reports whether an event can change the set of networks: a
// configuration file, or the directory itself.
func (m *Manager) relevant(ev fsnotify.Event) bool {
	if filepath.Clean(ev.Name) == filepath.Clean(m.opts.confDir) {
		return true
	}
	return slices.Contains(configExtensions(), filepath.Ext(ev.Name))
}

// watchLoop reloads the directory debounce after the last relevant event.
func (m *Manager) watchLoop(w *fsnotify.Watcher, done <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-done:
			return
		case ev, ok := <-w.Events:
			if !ok {
				return
			}
			if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write) {
				continue
			}
			if m.relevant(ev) {
				timer.Reset(m.opts.debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				// Events were lost: reload to be sure.
				timer.Reset(m.opts.debounce)
			}
		case <-timer.C:
			// An unreadable directory keeps the current set.
			_, _ = m.Reload()
		}
	}
}
