package invoke

import (
	"context"
	"os"
	"path/filepath"

	"github.com/cnirt/cni/types"
)

// delegatePrepare finds delegatePlugin in the directories listed in this
// process's CNI_PATH and picks the Exec to use.
func delegatePrepare(delegatePlugin string, exec Exec) (string, Exec, error) {
	if exec == nil {
		exec = newDefaultExec()
	}
	path, err := exec.FindInPath(delegatePlugin, filepath.SplitList(os.Getenv("CNI_PATH")))
	if err != nil {
		return "", nil, err
	}
	return path, exec, nil
}

// DelegateAdd runs delegatePlugin, found through this process's CNI_PATH,
// with the ADD command and netconf on stdin, and returns its result. The
// delegate inherits this process's environment with CNI_COMMAND=ADD. A nil
// exec means [DefaultExec].
func DelegateAdd(ctx context.Context, delegatePlugin string, netconf []byte, exec Exec) (types.Result, error) {
	path, exec, err := delegatePrepare(delegatePlugin, exec)
	if err != nil {
		return nil, err
	}
	return ExecPluginWithResult(ctx, path, netconf, &DelegateArgs{Command: "ADD"}, exec)
}

// DelegateCheck runs delegatePlugin with the CHECK command; see [DelegateAdd].
func DelegateCheck(ctx context.Context, delegatePlugin string, netconf []byte, exec Exec) error {
	return delegateWithoutResult(ctx, "CHECK", delegatePlugin, netconf, exec)
}

// DelegateDel runs delegatePlugin with the DEL command; see [DelegateAdd].
func DelegateDel(ctx context.Context, delegatePlugin string, netconf []byte, exec Exec) error {
	return delegateWithoutResult(ctx, "DEL", delegatePlugin, netconf, exec)
}

// DelegateStatus runs delegatePlugin with the STATUS command; see
// [DelegateAdd].
func DelegateStatus(ctx context.Context, delegatePlugin string, netconf []byte, exec Exec) error {
	return delegateWithoutResult(ctx, "STATUS", delegatePlugin, netconf, exec)
}

// DelegateGC runs delegatePlugin with the GC command; see [DelegateAdd].
func DelegateGC(ctx context.Context, delegatePlugin string, netconf []byte, exec Exec) error {
	return delegateWithoutResult(ctx, "GC", delegatePlugin, netconf, exec)
}

func delegateWithoutResult(ctx context.Context, command, delegatePlugin string, netconf []byte, exec Exec) error {
	path, exec, err := delegatePrepare(delegatePlugin, exec)
	if err != nil {
		return err
	}
	return ExecPluginWithoutResult(ctx, path, netconf, &DelegateArgs{Command: command}, exec)
}
