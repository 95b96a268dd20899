package errfmt

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

type sample struct{}

func (sample) Error() string { return `plain "text"` }

func (s sample) Format(f fmt.State, verb rune) {
	if Verbose(f, verb) {
		fmt.Fprint(f, "verbose")
		return
	}
	Plain(f, verb, s.Error())
}

func TestPlainFormatsLikeAnError(t *testing.T) {
	t.Parallel()
	plain := fmt.Errorf("%s", `plain "text"`)
	for _, format := range []string{"%v", "%s", "%q", "%x", "%X"} {
		assert.Equal(t, fmt.Sprintf(format, plain), fmt.Sprintf(format, sample{}), format)
	}
	assert.Equal(t, "verbose", fmt.Sprintf("%+v", sample{}))
	assert.Equal(t, `plain "text"`, fmt.Sprintf("%+s", sample{}))
}
