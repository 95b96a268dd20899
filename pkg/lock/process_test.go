package lock

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Environment of a child process started by the tests (the test binary
// re-executed). childEnv selects the child's role.
const (
	childEnv     = "CNIRT_LOCK_TEST_CHILD"
	childDir     = "CNIRT_LOCK_TEST_DIR"
	childKey     = "CNIRT_LOCK_TEST_KEY"
	childIters   = "CNIRT_LOCK_TEST_ITERS"
	childRemove  = "CNIRT_LOCK_TEST_REMOVE"
	childMarkDir = "CNIRT_LOCK_TEST_MARKDIR"
	childOut     = "CNIRT_LOCK_TEST_OUT"
	childMode    = "CNIRT_LOCK_TEST_MODE"
	childPerKey  = "CNIRT_LOCK_TEST_FILE_PER_KEY"
)

// TestMain runs the child roles when the binary is re-executed by a test.
func TestMain(m *testing.M) {
	if role := os.Getenv(childEnv); role != "" {
		os.Exit(runChild(role))
	}
	os.Exit(m.Run())
}

// runChild executes one child role and returns the exit code.
func runChild(role string) int {
	opts := []Option{fastBackoff}
	if os.Getenv(childPerKey) == "1" {
		opts = append(opts, WithFilePerKey())
	}
	l, err := New(os.Getenv(childDir), opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	key := os.Getenv(childKey)
	switch role {
	case "hammer":
		n, _ := strconv.Atoi(os.Getenv(childIters))
		err := hammer(l, key, n, os.Getenv(childRemove) == "1", os.Getenv(childMarkDir), os.Getenv(childOut))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		return 0
	case "probe":
		// childMode is a comma-separated list of key:mode probes; each
		// result is printed as "key:mode=acquired|timeout".
		for _, probe := range strings.Split(os.Getenv(childMode), ",") {
			k, mode, _ := strings.Cut(probe, ":")
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			var h *Held
			if mode == "rlock" {
				h, err = l.RLock(ctx, k)
			} else {
				h, err = l.Lock(ctx, k)
			}
			cancel()
			switch {
			case err == nil:
				fmt.Printf("%s=acquired\n", probe)
				_ = h.Unlock()
			case errors.Is(err, context.DeadlineExceeded):
				fmt.Printf("%s=timeout\n", probe)
			default:
				fmt.Fprintln(os.Stderr, err)
				return 2
			}
		}
		return 0
	case "hold":
		if _, err := l.Lock(context.Background(), key); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Println("held")
		time.Sleep(time.Minute) // killed by the parent
		return 0
	}
	fmt.Fprintln(os.Stderr, "unknown child role", role)
	return 2
}

// hammer takes key exclusively n times. While holding it, it creates a
// marker file with O_EXCL in markDir (failing if another holder's marker is
// there) and records wall-clock enter/exit times; they are written to out as
// "enter exit" lines. With remove, every release removes the lock file.
func hammer(l *Locker, key string, n int, remove bool, markDir, out string) error {
	marker := filepath.Join(markDir, "holder")
	var lines strings.Builder
	for i := range n {
		h, err := l.Lock(context.Background(), key)
		if err != nil {
			return err
		}
		enter := time.Now().UnixNano()
		mf, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			_ = h.Unlock()
			return fmt.Errorf("iteration %d: another holder present: %w", i, err)
		}
		_ = mf.Close()
		time.Sleep(50 * time.Microsecond)
		if err := os.Remove(marker); err != nil {
			return err
		}
		exit := time.Now().UnixNano()
		fmt.Fprintf(&lines, "%d %d\n", enter, exit)
		if remove {
			err = h.UnlockAndRemove()
		} else {
			err = h.Unlock()
		}
		if err != nil {
			return err
		}
	}
	return os.WriteFile(out, []byte(lines.String()), 0o600)
}

// env returns the child environment entry selecting mode m.
func (m lockMode) env() string {
	if m.filePerKey {
		return childPerKey + "=1"
	}
	return childPerKey + "=0"
}

// childCmd returns a command re-executing the test binary in role.
func childCmd(role string, env ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+role), env...)
	return cmd
}

// interval is one hold, in wall-clock nanoseconds.
type interval struct{ enter, exit int64 }

// readIntervals parses the "enter exit" lines of every file in paths.
func readIntervals(t *testing.T, paths []string) []interval {
	t.Helper()
	var all []interval
	for _, p := range paths {
		f, err := os.Open(p)
		require.NoError(t, err)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var iv interval
			_, err := fmt.Sscanf(sc.Text(), "%d %d", &iv.enter, &iv.exit)
			require.NoError(t, err)
			all = append(all, iv)
		}
		require.NoError(t, sc.Err())
		require.NoError(t, f.Close())
	}
	return all
}

func TestCrossProcessExclusion(t *testing.T) { forModes(t, testCrossProcessExclusion) }

func testCrossProcessExclusion(t *testing.T, m lockMode) {
	t.Parallel()
	tests := []struct {
		name   string
		remove bool
	}{
		{"unlock", false},
		{"unlock and remove", true},
	}
	const children, goroutines, iters = 2, 2, 25
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, markDir, outDir := t.TempDir(), t.TempDir(), t.TempDir()
			rm := "0"
			if tt.remove {
				rm = "1"
			}
			var outs []string
			var cmds []*exec.Cmd
			for i := range children {
				out := filepath.Join(outDir, fmt.Sprintf("child%d", i))
				outs = append(outs, out)
				cmd := childCmd("hammer", m.env(),
					childDir+"="+dir, childKey+"=shared-key", childIters+"="+strconv.Itoa(iters),
					childRemove+"="+rm, childMarkDir+"="+markDir, childOut+"="+out)
				cmd.Stderr = &strings.Builder{}
				require.NoError(t, cmd.Start())
				cmds = append(cmds, cmd)
			}
			var wg sync.WaitGroup
			for i := range goroutines {
				out := filepath.Join(outDir, fmt.Sprintf("goroutine%d", i))
				outs = append(outs, out)
				l := m.newLocker(t, dir)
				wg.Go(func() {
					assert.NoError(t, hammer(l, "shared-key", iters, tt.remove, markDir, out))
				})
			}
			wg.Wait()
			for _, cmd := range cmds {
				assert.NoError(t, cmd.Wait(), "child: %s", cmd.Stderr)
			}

			ivs := readIntervals(t, outs)
			require.Len(t, ivs, (children+goroutines)*iters)
			slices.SortFunc(ivs, func(a, b interval) int { return cmp.Compare(a.enter, b.enter) })
			for i := 1; i < len(ivs); i++ {
				assert.Greater(t, ivs[i].enter, ivs[i-1].exit, "holds %d and %d overlap", i-1, i)
			}
			switch {
			case !m.filePerKey:
				assert.Equal(t, []string{RangeFileName}, dirEntries(t, dir), "no file per key")
			case tt.remove:
				assert.Empty(t, dirEntries(t, dir), "lock files must not pile up")
			default:
				assert.Equal(t, []string{"shared-key.lock"}, dirEntries(t, dir))
			}
		})
	}
}

func TestCrossProcessModes(t *testing.T) { forModes(t, testCrossProcessModes) }

func testCrossProcessModes(t *testing.T, m lockMode) {
	t.Parallel()
	dir := t.TempDir()
	l := m.newLocker(t, dir)
	ctx := context.Background()
	shared, err := l.RLock(ctx, "shared")
	require.NoError(t, err)
	excl, err := l.Lock(ctx, "excl")
	require.NoError(t, err)

	// One child runs every probe (process start-up is the slow part).
	tests := []struct {
		probe string // key:mode tried by the child
		want  string
	}{
		{"free:lock", "acquired"},
		{"free:rlock", "acquired"},
		{"shared:rlock", "acquired"},
		{"shared:lock", "timeout"},
		{"excl:rlock", "timeout"},
		{"excl:lock", "timeout"},
	}
	probes := make([]string, 0, len(tests))
	for _, tt := range tests {
		probes = append(probes, tt.probe)
	}
	cmd := childCmd("probe", m.env(), childDir+"="+dir, childMode+"="+strings.Join(probes, ","))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, stderr.String())
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, got, len(tests))
	for i, tt := range tests {
		assert.Equal(t, tt.probe+"="+tt.want, got[i])
	}
	require.NoError(t, shared.Unlock())
	require.NoError(t, excl.Unlock())
}

func TestLockReleasedWhenHolderDies(t *testing.T) { forModes(t, testLockReleasedWhenHolderDies) }

func testLockReleasedWhenHolderDies(t *testing.T, m lockMode) {
	t.Parallel()
	dir := t.TempDir()
	cmd := childCmd("hold", m.env(), childDir+"="+dir, childKey+"=c1")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "held\n", line)

	l := m.newLocker(t, dir)
	short, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	_, err = l.Lock(short, "c1")
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded, "child holds the key")

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	h, err := l.Lock(ctx, "c1")
	require.NoError(t, err, "the OS releases a dead holder's lock")
	require.NoError(t, h.UnlockAndRemove())
	_, err = os.Stat(filepath.Join(dir, "c1.lock"))
	if runtime.GOOS != "windows" || !m.filePerKey {
		assert.ErrorIs(t, err, fs.ErrNotExist)
	}
}
