//go:build linux

package plugintest

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// NobodyUID is the user (and group) RunTestAsNobody runs its child as.
const NobodyUID = 65534

// RunTestAsNobody runs the test called test of the running test binary
// again, as the user nobody, for faults root does not see (root ignores
// file permissions). The binary is copied into dir, which with its parents
// up to the temporary directory is made searchable for everyone; the child
// runs there with env added to its environment (typically a variable that
// names its fixture and makes the child's test run) and HOME and GOCACHE
// inside dir. t fails unless the child ran test and it passed. The child's
// output is logged and returned. The caller must be root.
func RunTestAsNobody(t testing.TB, dir, test string, env ...string) string {
	t.Helper()
	for d := dir; d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatalf("making %s searchable: %v", d, err)
		}
	}
	bin := filepath.Join(dir, filepath.Base(os.Args[0]))
	if err := copyExecutable(os.Args[0], bin); err != nil {
		t.Fatalf("copying the test binary for nobody: %v", err)
	}
	cmd := exec.Command(bin, "-test.run", "^"+test+"$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), env...), "HOME="+dir, "GOCACHE="+filepath.Join(dir, "gocache"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: NobodyUID, Gid: NobodyUID}}
	out, err := cmd.CombinedOutput()
	t.Logf("%s as uid %d:\n%s", test, NobodyUID, out)
	if err != nil {
		t.Fatalf("%s failed as nobody: %v", test, err)
	}
	if !strings.Contains(string(out), "--- PASS: "+test) {
		t.Fatalf("%s did not pass as nobody (did it run?)", test)
	}
	return string(out)
}

// copyExecutable copies the file src to dst with mode 0755.
func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
