// Package invoke finds CNI plugin executables and runs them the way the
// CNI specification describes: the request goes to the plugin's stdin, the
// CNI_* variables describe the operation, and stdout carries either a result
// or an error object.
//
// The exported API matches the reference library's pkg/invoke. On top of it,
// every run through [RawExec] is bounded:
//
//   - the plugin runs in its own process group on Unix systems, and when the
//     context ends the whole group is killed with SIGKILL (on Windows and
//     other systems only the plugin process is killed); the call returns
//     shortly after even if some descendant keeps stdout or stderr open;
//   - stdout is capped ([RawExec.MaxOutputBytes], 16 MiB by default) and the
//     stderr text kept for error messages is capped at 64 KiB;
//   - a plugin binary that is still being written ("text file busy") is
//     started again a few times with a short backoff;
//   - failures are returned as the reference returns them, always a
//     [*types.Error]: the plugin's own, or one of code 0 with the
//     reference's text, behind which errors.As and errors.Is reach an
//     [*ExitError] (exit status, signal, stderr, the context's error when
//     it was killed), an [*OutputLimitError] or the start error. Naming
//     the plugin and the operation is the caller's business (libcni does).
//
// Plugin names are looked up only in absolute directories, and CNI_ARGS
// content that could smuggle extra keys to the plugin is refused before
// anything runs (see [ValidateArgs]).
package invoke
