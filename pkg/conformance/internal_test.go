package conformance

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValidateResult(t *testing.T) {
	const ns = "/var/run/netns/c1"
	tests := []struct {
		name, out, version string
		problems           []string
	}{
		{"valid", `{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","mac":"02:00:00:00:00:01","sandbox":"` + ns + `"}],"ips":[{"address":"198.18.0.2/24","gateway":"198.18.0.1","interface":0}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{"nameservers":["198.18.0.1"]}}`, "1.1.0", nil},
		{"two values", `{"cniVersion":"1.1.0"} {}`, "1.1.0", []string{"stdout has more after the JSON value"}},
		{"text after", "{\"cniVersion\":\"1.1.0\"}\nok", "1.1.0", []string{"stdout has more after the JSON value"}},
		{"empty", " ", "1.1.0", []string{"stdout is empty"}},
		{"other version", `{"cniVersion":"1.0.0"}`, "1.1.0", []string{`cniVersion is "1.0.0"`}},
		{"index out of range", `{"cniVersion":"1.1.0","ips":[{"address":"198.18.0.2/24","interface":1}],"interfaces":[{"name":"eth0","sandbox":"` + ns + `"}]}`, "1.1.0", []string{"ips[0].interface is 1, out of range for 1 interface(s)"}},
		{"no sandbox", `{"cniVersion":"1.1.0","interfaces":[{"name":"eth0"}]}`, "1.1.0", []string{"is the container interface but has no sandbox"}},
		{"other sandbox", `{"cniVersion":"1.1.0","interfaces":[{"name":"x","sandbox":"/other"}]}`, "1.1.0", []string{`not CNI_NETNS`}},
		{"bad address", `{"cniVersion":"1.1.0","ips":[{"address":"198.18.0.2"}]}`, "1.1.0", []string{"not an address in CIDR notation"}},
		{"bad mac", `{"cniVersion":"1.1.0","interfaces":[{"name":"h","mac":"zz"}]}`, "1.1.0", []string{"interfaces[0].mac"}},
		{"bad route", `{"cniVersion":"1.1.0","routes":[{"dst":"x","gw":"y"}]}`, "1.1.0", []string{"routes[0].dst", "routes[0].gw"}},
		{"bad dns", `{"cniVersion":"1.1.0","dns":{"nameservers":["dns.example"]}}`, "1.1.0", []string{"dns.nameservers[0]"}},
		{"0.4.0 needs ip version", `{"cniVersion":"0.4.0","ips":[{"address":"2001:db8:18::2/64"}]}`, "0.4.0", []string{`ips[0].version must be "6"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := validateResult(tc.out, tc.version, ns, "eth0")
			assert.Len(t, probs, len(tc.problems), "%v", probs)
			for i, p := range tc.problems {
				if i < len(probs) {
					assert.Contains(t, probs[i], p)
				}
			}
		})
	}
}

func TestErrorProblems(t *testing.T) {
	tests := []struct {
		name   string
		ex     Exchange
		code   int
		broken []string
	}{
		{"well formed", Exchange{ExitCode: 1, Stdout: `{"code":4,"msg":"CNI_COMMAND missing"}`}, 4, nil},
		{"plugin specific", Exchange{ExitCode: 1, Stdout: `{"code":999,"msg":"x"}`}, 999, nil},
		{"unavailable", Exchange{ExitCode: 1, Stdout: `{"code":50,"msg":"x"}`}, 50, nil},
		{"exit 0", Exchange{ExitCode: 0, Stdout: `{"code":4,"msg":"x"}`}, 4, []string{"exited 0"}},
		{"plain text", Exchange{ExitCode: 1, Stdout: "it broke"}, 0, []string{"no error object"}},
		{"reserved code", Exchange{ExitCode: 1, Stdout: `{"code":42,"msg":"x"}`}, 42, []string{"error code 42 is reserved"}},
		{"no msg", Exchange{ExitCode: 1, Stdout: `{"code":7}`}, 7, []string{"no msg"}},
		{"no code", Exchange{ExitCode: 1, Stdout: `{"msg":"x"}`}, 0, []string{"no code"}},
		{"killed", Exchange{ExitCode: -1, StartError: "signal: killed"}, 0, []string{"did not exit on its own"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, probs := errorProblems(tc.ex)
			assert.Equal(t, tc.code, code)
			assert.Len(t, probs, len(tc.broken), "%v", probs)
			for i, p := range tc.broken {
				if i < len(probs) {
					assert.Contains(t, probs[i], p)
				}
			}
		})
	}
}

func TestDefinedCodes(t *testing.T) {
	for code := 0; code < 120; code++ {
		want := (code >= 1 && code <= 7) || code == 11 || code == 50 || code == 51 || code >= 100
		assert.Equal(t, want, definedCode(code), "code %d", code)
	}
}
