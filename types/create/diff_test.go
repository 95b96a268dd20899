package create_test

import (
	"bytes"
	"encoding/json"
	"testing"

	reftypes "github.com/containernetworking/cni/pkg/types"
	refcreate "github.com/containernetworking/cni/pkg/types/create"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/cnirt/cni/types"
	"github.com/cnirt/cni/types/create"
)

// allVersions are the conversion targets tried for every corpus entry,
// including the empty version (meaning 0.1.0) and unknown ones.
var allVersions = []string{"", "0.1.0", "0.2.0", "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", "1.2.0", "0.5.0", "x"}

// corpus holds results of every version, well-formed or not.
var corpus = map[string]string{
	"010 minimal":       `{"ip4":{"ip":"198.18.0.5/24"}}`,
	"010 explicit":      `{"cniVersion":"0.1.0","ip4":{"ip":"198.18.0.5/24","gateway":"198.18.0.1","routes":[{"dst":"0.0.0.0/0"}]},"dns":{"nameservers":["198.18.0.53"]}}`,
	"020 both families": `{"cniVersion":"0.2.0","ip4":{"ip":"198.18.0.5/24","gateway":"198.18.0.1","routes":[{"dst":"0.0.0.0/0","gw":"198.18.0.1"},{"dst":"198.19.0.0/16"}]},"ip6":{"ip":"2001:db8::5/64","gateway":"2001:db8::1","routes":[{"dst":"::/0"}]},"dns":{"nameservers":["198.18.0.53","2001:db8::53"],"domain":"example.test","search":["a.test"],"options":["ndots:2"]}}`,
	"020 ip6 only":      `{"cniVersion":"0.2.0","ip6":{"ip":"2001:db8::5/64"}}`,
	"020 no ip":         `{"cniVersion":"0.2.0","dns":{"domain":"x"}}`,
	"020 null":          `null`,
	"020 route null":    `{"cniVersion":"0.2.0","ip4":{"ip":"198.18.0.5/24","routes":[null]}}`,
	"020 routes 1.1":    `{"cniVersion":"0.2.0","ip4":{"ip":"198.18.0.5/24","routes":[{"dst":"198.19.0.0/16","mtu":1400,"advmss":1360,"priority":5,"table":100,"scope":253}]}}`,
	"020 ip missing":    `{"cniVersion":"0.2.0","ip4":{"gateway":"198.18.0.1"}}`,
	"020 ip4 null":      `{"cniVersion":"0.2.0","ip4":null,"ip6":{"ip":"2001:db8::5/64"}}`,
	"020 bad version":   `{"cniVersion":"0.3.0","ip4":{"ip":"198.18.0.5/24"}}`,
	"030 full": `{"cniVersion":"0.3.0","interfaces":[{"name":"eth0","mac":"00:11:22:33:44:55","sandbox":"/var/run/netns/a"}],
		"ips":[{"version":"4","interface":0,"address":"198.18.0.5/24","gateway":"198.18.0.1"}],"routes":[{"dst":"0.0.0.0/0"}],"dns":{}}`,
	"031 full": `{"cniVersion":"0.3.1","interfaces":[{"name":"br0"},{"name":"eth0","sandbox":"/var/run/netns/a"}],
		"ips":[{"version":"4","interface":1,"address":"198.18.0.5/24","gateway":"198.18.0.1"},{"version":"6","interface":1,"address":"2001:db8::5/64","gateway":"2001:db8::1"}],
		"routes":[{"dst":"0.0.0.0/0","gw":"198.18.0.1"},{"dst":"::/0","gw":"2001:db8::1"}],"dns":{"nameservers":["198.18.0.53"],"search":["x.test"]}}`,
	"040 realistic":           realistic040,
	"040 no ips":              `{"cniVersion":"0.4.0","interfaces":[{"name":"eth0"}]}`,
	"040 version mismatch ip": `{"cniVersion":"0.4.0","ips":[{"version":"6","address":"198.18.0.5/24"},{"version":"4","address":"2001:db8::5/64"}],"routes":[{"dst":"0.0.0.0/0"},{"dst":"::/0"}]}`,
	"040 bad ip version":      `{"cniVersion":"0.4.0","ips":[{"version":"5","address":"198.18.0.5/24"}]}`,
	"040 many ips":            `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.5/24"},{"version":"4","address":"198.18.0.6/24"},{"version":"6","address":"2001:db8::5/64"},{"version":"6","address":"2001:db8::6/64"}],"routes":[{"dst":"198.19.0.0/16","mtu":9000,"table":3}]}`,
	"040 index out of range":  `{"cniVersion":"0.4.0","interfaces":[{"name":"eth0"}],"ips":[{"version":"4","interface":7,"address":"198.18.0.5/24"},{"version":"4","interface":-1,"address":"198.18.0.6/24"}]}`,
	"040 gateway missing":     `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.5/24"}]}`,
	"040 extra fields":        `{"cniVersion":"0.4.0","foo":{"bar":[1,2,{"x":null}]},"ips":[{"version":"4","address":"198.18.0.5/24","extra":true}],"interfaces":[{"name":"eth0","mtu":1500,"socketPath":"/s","pciID":"0000:00:01.0"}],"routes":[{"dst":"0.0.0.0/0","unknown":"x"}],"dns":{"nameservers":["198.18.0.53"],"zzz":1}}`,
	"040 case folding":        `{"CNIVERSION":"0.4.0","IPs":[{"VERSION":"4","Address":"198.18.0.5/24","GATEWAY":"198.18.0.1"}],"Interfaces":[{"NAME":"eth0","ſandbox":"/ns"}],"DNS":{"Domain":"d"}}`,
	"040 duplicate keys":      `{"cniVersion":"0.3.0","cniVersion":"0.4.0","interfaces":[{"name":"a","mac":"m"},{"name":"b"}],"interfaces":[{"name":"c"}],"dns":{"domain":"d"},"dns":{"search":["s"]},"ips":[{"version":"4","address":"198.18.0.5/24","gateway":"198.18.0.1"}],"ips":[{"version":"4","address":"198.18.0.7/24"}]}`,
	"040 dup grow in cap":     `{"cniVersion":"0.4.0","interfaces":[{"name":"a","mac":"m1"},{"name":"b","mac":"m2"}],"interfaces":[{"name":"c"}],"interfaces":[{"name":"d"},{"name":"e"}],"dns":{"nameservers":["1","2"]},"dns":{"nameservers":[null]}}`,
	"040 escapes":             `{"cniVersion":"0.4.0","interfaces":[{"name":"e\u0074h0\n\"<&>","mac":"\ud83d\ude00 \ud800 \udc00x \u2028"}]}`,
	"040 invalid utf8":        "{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"a\xff\xfeb\",\"mac\":\"\xc3\"}]}",
	"040 nulls":               `{"cniVersion":"0.4.0","interfaces":null,"ips":null,"routes":null,"dns":null}`,
	"040 null elements":       `{"cniVersion":"0.4.0","interfaces":[null],"routes":[null],"ips":[{"version":"4","address":"198.18.0.5/24"}]}`,
	"040 null fields":         `{"cniVersion":"0.4.0","interfaces":[{"name":null,"mac":null}],"ips":[{"version":null,"interface":null,"address":"198.18.0.5/24","gateway":null}],"routes":[{"dst":"0.0.0.0/0","gw":null,"mtu":null,"table":null}]}`,
	"040 empty arrays":        `{"cniVersion":"0.4.0","interfaces":[],"ips":[],"routes":[],"dns":{"nameservers":[],"search":[]}}`,
	"040 empty gateway":       `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.5/24","gateway":""}]}`,
	"040 ipv4 mapped":         `{"cniVersion":"0.4.0","ips":[{"version":"6","address":"::ffff:198.18.0.5/120","gateway":"::ffff:198.18.0.1"}],"routes":[{"dst":"::ffff:0.0.0.0/96"}]}`,
	"040 address null":        `{"cniVersion":"0.4.0","ips":[{"version":"4","address":null}]}`,
	"040 bad cidr":            `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.5"}]}`,
	"040 bad cidr mask":       `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.5/33"}]}`,
	"040 cidr leading zero":   `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.5/024"}]}`,
	"040 cidr zone":           `{"cniVersion":"0.4.0","ips":[{"version":"6","address":"fe80::1%eth0/64"}]}`,
	"040 bad gateway":         `{"cniVersion":"0.4.0","ips":[{"version":"4","address":"198.18.0.5/24","gateway":"198.18.0.256"}]}`,
	"040 bad route dst":       `{"cniVersion":"0.4.0","routes":[{"dst":"nope"}]}`,
	"040 route dst number":    `{"cniVersion":"0.4.0","routes":[{"dst":5}]}`,
	"040 interface float":     `{"cniVersion":"0.4.0","ips":[{"version":"4","interface":1.5,"address":"198.18.0.5/24"}]}`,
	"040 interface exp":       `{"cniVersion":"0.4.0","ips":[{"version":"4","interface":1e2,"address":"198.18.0.5/24"}]}`,
	"040 huge number":         `{"cniVersion":"0.4.0","routes":[{"dst":"0.0.0.0/0","mtu":99999999999999999999}]}`,
	"040 max int":             `{"cniVersion":"0.4.0","routes":[{"dst":"0.0.0.0/0","mtu":9223372036854775807,"advmss":-9223372036854775808}]}`,
	"040 negative zero":       `{"cniVersion":"0.4.0","routes":[{"dst":"0.0.0.0/0","mtu":-0}]}`,
	"040 string as int":       `{"cniVersion":"0.4.0","routes":[{"dst":"0.0.0.0/0","mtu":"1500"}]}`,
	"040 version number":      `{"cniVersion":4}`,
	"040 interfaces object":   `{"cniVersion":"0.4.0","interfaces":{}}`,
	"040 dns array":           `{"cniVersion":"0.4.0","dns":[]}`,
	"040 nameserver number":   `{"cniVersion":"0.4.0","dns":{"nameservers":[1]}}`,
	"040 trailing garbage":    `{"cniVersion":"0.4.0"} x`,
	"040 trailing comma":      `{"cniVersion":"0.4.0",}`,
	"040 truncated":           `{"cniVersion":"0.4.0","ips":[{"version":"4"`,
	"040 bad escape":          `{"cniVersion":"0.4.0","interfaces":[{"name":"\x"}]}`,
	"040 control char":        "{\"cniVersion\":\"0.4.0\",\"interfaces\":[{\"name\":\"a\tb\"}]}",
	"040 skipped invalid":     `{"cniVersion":"0.4.0","other":[1,2,}`,
	"040 skipped bad number":  `{"cniVersion":"0.4.0","other":01}`,
	"100 full 1.1": `{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","mac":"00:11:22:33:44:55","mtu":1500,"sandbox":"/var/run/netns/a","socketPath":"/run/vhost.sock","pciID":"0000:00:1f.6"}],
		"ips":[{"interface":0,"address":"198.18.0.5/24","gateway":"198.18.0.1"},{"interface":0,"address":"2001:db8::5/64"}],
		"routes":[{"dst":"0.0.0.0/0","gw":"198.18.0.1","mtu":1400,"advmss":1360,"priority":10,"table":254,"scope":0},{"dst":"2001:db8:1::/48","table":0}],
		"dns":{"nameservers":["198.18.0.53"],"domain":"example.test","search":["example.test"],"options":["ndots:5"]}}`,
	"100 minimal":            `{"cniVersion":"1.0.0"}`,
	"100 ips only":           `{"cniVersion":"1.0.0","ips":[{"address":"2001:db8::5/64","gateway":"2001:db8::1"}]}`,
	"100 version field kept": `{"cniVersion":"1.0.0","ips":[{"version":"4","address":"198.18.0.5/24"}]}`,
	"100 null ip element":    `{"cniVersion":"1.1.0","ips":[null],"interfaces":[{"name":"x"}]}`,
	"100 unknown version":    `{"cniVersion":"1.2.0","ips":[]}`,
	"100 empty version":      `{"cniVersion":"","ips":[]}`,
	"not json":               `hello`,
	"empty":                  ``,
	"array":                  `[]`,
	"string":                 `"1.0.0"`,
	"number":                 `42`,
	"deep nesting":           `{"cniVersion":"0.4.0","x":` + deep(200) + `}`,
	"whitespace":             " \n\t{ \"cniVersion\" : \"1.0.0\" , \"ips\" : [ ] } \r\n",
}

const realistic040 = `{
    "cniVersion": "0.4.0",
    "interfaces": [
        {"name": "cni0", "mac": "0a:58:c6:12:00:01"},
        {"name": "eth0", "mac": "0a:58:c6:12:00:05", "sandbox": "/var/run/netns/cni-1234"}
    ],
    "ips": [
        {"version": "4", "interface": 1, "address": "198.18.0.5/24", "gateway": "198.18.0.1"},
        {"version": "6", "interface": 1, "address": "2001:db8::5/64", "gateway": "2001:db8::1"}
    ],
    "routes": [
        {"dst": "0.0.0.0/0", "gw": "198.18.0.1"},
        {"dst": "::/0", "gw": "2001:db8::1"}
    ],
    "dns": {"nameservers": ["198.18.0.53"], "domain": "cluster.test", "search": ["ns.svc.cluster.test"], "options": ["ndots:5"]}
}`

func deep(n int) string {
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		b.WriteString(`[{"a":`)
	}
	b.WriteString("1")
	for i := 0; i < n; i++ {
		b.WriteString(`}]`)
	}
	return b.String()
}

// decoded parses JSON into a generic value so key order and spelling of
// equivalent escapes do not matter.
func decoded(t testing.TB, b []byte) interface{} {
	t.Helper()
	var v interface{}
	require.NoError(t, json.Unmarshal(b, &v), "output %q", b)
	return v
}

// refCall runs fn, turning a panic of the reference into ok=false.
func refCall(fn func()) (panicked bool) {
	defer func() {
		if recover() != nil {
			panicked = true
		}
	}()
	fn()
	return false
}

func TestDifferentialCorpus(t *testing.T) {
	t.Parallel()
	for name, doc := range corpus {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			compareDoc(t, []byte(doc))
		})
	}
}

// compareDoc parses doc with both libraries, then converts it to every
// version and prints it, requiring the same outcome at each step.
func compareDoc(t testing.TB, doc []byte) {
	ours, errOurs := create.CreateFromBytes(doc)
	ref, errRef := refcreate.CreateFromBytes(doc)
	if errRef != nil {
		require.Error(t, errOurs, "reference refused: %v", errRef)
		return
	}
	require.NoError(t, errOurs, "reference accepted")
	require.Equal(t, ref.Version(), ours.Version())
	comparePrint(t, ours, ref)

	for _, v := range allVersions {
		// Re-create per target: conversions may fix up versions in place.
		ours, _ := create.CreateFromBytes(doc)
		ref, _ := refcreate.CreateFromBytes(doc)
		var refConv interface {
			Version() string
		}
		var refErr error
		var refOut bytes.Buffer
		var refPrintErr error
		if refCall(func() {
			c, err := ref.GetAsVersion(v)
			refErr = err
			if err == nil {
				refConv = c
				refPrintErr = c.PrintTo(&refOut)
			}
		}) {
			// The reference crashes (e.g. null list elements); we must
			// refuse cleanly instead.
			c, err := ours.GetAsVersion(v)
			if err == nil {
				var buf bytes.Buffer
				assert.NoError(t, c.PrintTo(&buf))
			}
			continue
		}
		conv, err := ours.GetAsVersion(v)
		if refErr != nil {
			require.Error(t, err, "to %q: reference refused: %v", v, refErr)
			assert.Contains(t, err.Error(), refErr.Error(), "to %q", v)
			continue
		}
		require.NoError(t, err, "to %q", v)
		require.Equal(t, refConv.Version(), conv.Version())
		var out bytes.Buffer
		printErr := conv.PrintTo(&out)
		if refPrintErr != nil {
			require.Error(t, printErr)
			continue
		}
		require.NoError(t, printErr)
		assert.Equal(t, decoded(t, refOut.Bytes()), decoded(t, out.Bytes()), "to %q:\nref  %s\nours %s", v, refOut.Bytes(), out.Bytes())
	}
}

// comparePrint compares PrintTo and json.Marshal of both results.
func comparePrint(t testing.TB, ours types.Result, ref reftypes.Result) {
	var a, b bytes.Buffer
	errRef := ref.PrintTo(&a)
	errOurs := ours.PrintTo(&b)
	if errRef != nil {
		require.Error(t, errOurs)
		return
	}
	require.NoError(t, errOurs)
	assert.Equal(t, decoded(t, a.Bytes()), decoded(t, b.Bytes()), "PrintTo:\nref  %s\nours %s", a.Bytes(), b.Bytes())

	ja, errRef := json.Marshal(ref)
	jb, errOurs := json.Marshal(ours)
	if errRef != nil {
		require.Error(t, errOurs)
		return
	}
	require.NoError(t, errOurs)
	assert.Equal(t, decoded(t, ja), decoded(t, jb), "Marshal:\nref  %s\nours %s", ja, jb)
}
