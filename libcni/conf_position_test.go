package libcni_test

//lint:file-ignore SA1019 the deprecated single-plugin loaders are tested on purpose.

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	refcni "github.com/containernetworking/cni/libcni"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/libcni"
)

// TestConfigSyntaxErrorsNameLineAndColumn loads files that are not JSON
// through every loader and requires the error to name the file and, after
// the reference's message (contained unbroken), the line and column where
// the document stops being JSON.
func TestConfigSyntaxErrorsNameLineAndColumn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		file         string
		content      string
		line, column int
	}{
		{"trailing comma in a plugin", "10-net.conflist",
			"{\n  \"cniVersion\": \"1.0.0\",\n  \"name\": \"net\",\n  \"plugins\": [\n    {\"type\": \"bridge\",}\n  ]\n}\n", 5, 23},
		{"first line", "10-net.conflist", `{"name" 1}`, 1, 9},
		{"truncated", "10-net.conflist", "{\"cniVersion\": \"1.0.0\",\n\"name\": \"net\"", 2, 13},
		{"CRLF line ends", "10-net.conflist", "{\r\n\"name\": \"net\",\r\n\"plugins\": [}\r\n", 3, 13},
		{"single plugin file", "10-net.conf", "{\"cniVersion\": \"1.0.0\",\n\t\"name\": \"net\"\n\t\"type\": \"bridge\"}", 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			file := confWrite(t, dir, tt.file, tt.content)

			var refErr, err error
			var loaders map[string]func() error
			if strings.HasSuffix(tt.file, ".conflist") {
				_, refErr = refcni.ConfListFromFile(file)
				loaders = map[string]func() error{
					"NetworkConfFromFile": func() error { _, e := libcni.NetworkConfFromFile(file); return e },
					"ConfListFromFile":    func() error { _, e := libcni.ConfListFromFile(file); return e },
					"LoadNetworkConf":     func() error { _, e := libcni.LoadNetworkConf(dir, "net"); return e },
				}
			} else {
				_, refErr = refcni.ConfFromFile(file)
				loaders = map[string]func() error{
					"ConfFromFile":    func() error { _, e := libcni.ConfFromFile(file); return e },
					"LoadNetworkConf": func() error { _, e := libcni.LoadNetworkConf(dir, "net"); return e },
				}
			}
			require.Error(t, refErr)
			for name, load := range loaders {
				err = load()
				require.Error(t, err, name)
				// The text is the reference's, byte for byte; the verbose
				// form names the file first and the position after it.
				assert.Equal(t, refErr.Error(), err.Error(), name)
				msg := fmt.Sprintf("%+v", err)
				assert.True(t, strings.HasPrefix(msg, file+": "), "%s: %q names the file first", name, msg)
				refText := refErr.Error()
				at := strings.Index(msg, refText)
				require.GreaterOrEqual(t, at, 0, "%s: %q contains the reference's %q", name, msg, refText)
				where := fmt.Sprintf(" (line %d, column %d)", tt.line, tt.column)
				assert.Equal(t, at+len(refText), strings.Index(msg, where), "%s: %q has %q right after the reference's text", name, msg, where)

				var ce *libcni.ConfigError
				require.True(t, errors.As(err, &ce), name)
				assert.Equal(t, [3]any{filepath.Clean(file), tt.line, tt.column}, [3]any{filepath.Clean(ce.File), ce.Line, ce.Column}, name)
			}
		})
	}
}

// TestConfigSyntaxErrorPositionOnlyForSyntax: other refusals carry no
// position, and bytes without a file get one too.
func TestConfigSyntaxErrorPositionOnlyForSyntax(t *testing.T) {
	t.Parallel()
	_, err := libcni.ConfListFromBytes([]byte(`{"cniVersion":"1.0.0","name":"net","plugins":[{"type":7}]}`))
	var ce *libcni.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Zero(t, ce.Line)
	assert.NotContains(t, fmt.Sprintf("%+v", err), "(line ")

	_, err = libcni.NetworkPluginConfFromBytes([]byte("{\n\"type\": x}"))
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, [2]int{2, 9}, [2]int{ce.Line, ce.Column})
	assert.True(t, strings.HasSuffix(fmt.Sprintf("%+v", err), "(line 2, column 9)"), "%+v", err)
	assert.NotContains(t, err.Error(), "(line ")
}
