package libcni

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/cnirt/cni/pkg/jsonx"
)

// decodeAttachmentEntry decodes a cache file for listing. The common shape
// (what cnirt and the reference write) is read with pkg/jsonx, skipping
// the result (an object or null) without building it; anything else (a null, an unexpected
// type, a cniArgs pair that is not two strings, a repeated capabilityArgs,
// malformed JSON) is left to encoding/json, so the outcome is always
// encoding/json's. Keys match case-insensitively, as encoding/json matches
// struct fields.
func decodeAttachmentEntry(d *jsonx.Decoder, data []byte) (attachmentEntry, error) {
	if e, ok := scanAttachmentEntry(d, data); ok {
		return e, nil
	}
	var e attachmentEntry
	err := json.Unmarshal(data, &e)
	return e, err
}

// scanAttachmentEntry is the fast path of decodeAttachmentEntry; ok=false
// means "let encoding/json decide".
func scanAttachmentEntry(d *jsonx.Decoder, data []byte) (e attachmentEntry, ok bool) {
	d.Reset(data)
	if null, err := d.ObjectStart("object"); null || err != nil {
		return e, false
	}
	var capsRaw []byte
	for first := true; ; first = false {
		key, more, err := d.ObjectKey(first)
		if err != nil {
			return e, false
		}
		if !more {
			break
		}
		var field *string
		switch {
		case jsonx.FoldKey(key, "kind"):
			field = &e.Kind
		case jsonx.FoldKey(key, "containerId"):
			field = &e.ContainerID
		case jsonx.FoldKey(key, "ifName"):
			field = &e.IfName
		case jsonx.FoldKey(key, "networkName"):
			field = &e.NetworkName
		case jsonx.FoldKey(key, "netns"):
			field = &e.NetNS
		case jsonx.FoldKey(key, "config"):
			b, null, err := d.ReadStringBytes()
			if null || err != nil {
				return e, false
			}
			config := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
			n, err := base64.StdEncoding.Decode(config, b)
			if err != nil {
				return e, false
			}
			e.Config = config[:n]
			continue
		case jsonx.FoldKey(key, "cniArgs"):
			if e.CniArgs, ok = scanPairs(d); !ok {
				return e, false
			}
			continue
		case jsonx.FoldKey(key, "result"):
			// Only skipped, but it must be an object or null (see
			// objectOrNull); encoding/json judges anything else.
			if c, err := d.Peek(); err != nil || (c != '{' && c != 'n') {
				return e, false
			}
			if err := d.Skip(); err != nil {
				return e, false
			}
			continue
		case jsonx.FoldKey(key, "capabilityArgs"):
			if capsRaw != nil {
				return e, false
			}
			if _, err := d.Peek(); err != nil {
				return e, false
			}
			start := d.Offset()
			if err := d.Skip(); err != nil {
				return e, false
			}
			capsRaw = data[start:d.Offset()]
			continue
		default:
			if err := d.Skip(); err != nil {
				return e, false
			}
			continue
		}
		b, null, err := d.ReadStringBytes()
		if null || err != nil {
			return e, false
		}
		*field = string(b)
	}
	if d.End() != nil {
		return e, false
	}
	if capsRaw != nil {
		var ok bool
		if e.CapabilityArgs, ok = scanCapabilityArgs(d, capsRaw); !ok {
			return e, false
		}
	}
	return e, true
}

// scanCapabilityArgs decodes a capabilityArgs object the way encoding/json
// decodes it into a map[string]interface{} (objects as maps, arrays as
// slices, numbers as float64); ok=false hands anything else (null, not an
// object, a number out of float64's range) to encoding/json.
func scanCapabilityArgs(d *jsonx.Decoder, raw []byte) (map[string]interface{}, bool) {
	d.Reset(raw)
	if c, err := d.Peek(); err != nil || c != '{' {
		return nil, false
	}
	v, ok := scanAny(d, raw)
	if !ok || d.End() != nil {
		return nil, false
	}
	m, _ := v.(map[string]interface{})
	return m, m != nil
}

// scanAny reads one value of any kind into interface{} as encoding/json
// does; data is what d reads.
func scanAny(d *jsonx.Decoder, data []byte) (interface{}, bool) {
	c, err := d.Peek()
	if err != nil {
		return nil, false
	}
	switch {
	case c == '{':
		if _, err := d.ObjectStart("object"); err != nil {
			return nil, false
		}
		m := map[string]interface{}{}
		for first := true; ; first = false {
			key, more, err := d.ObjectKey(first)
			if err != nil {
				return nil, false
			}
			if !more {
				return m, true
			}
			k := string(key)
			v, ok := scanAny(d, data)
			if !ok {
				return nil, false
			}
			m[k] = v
		}
	case c == '[':
		if _, err := d.ArrayStart("array"); err != nil {
			return nil, false
		}
		a := []interface{}{}
		for first := true; ; first = false {
			more, err := d.ArrayNext(first)
			if err != nil {
				return nil, false
			}
			if !more {
				return a, true
			}
			v, ok := scanAny(d, data)
			if !ok {
				return nil, false
			}
			a = append(a, v)
		}
	case c == '"':
		s, _, err := d.ReadString()
		if err != nil {
			return nil, false
		}
		return strings.Clone(s), true
	case c == '-' || ('0' <= c && c <= '9'):
		start := d.Offset()
		if err := d.Skip(); err != nil {
			return nil, false
		}
		f, err := strconv.ParseFloat(string(data[start:d.Offset()]), 64)
		if err != nil {
			return nil, false
		}
		return f, true
	case c == 't' || c == 'f':
		start := d.Offset()
		if err := d.Skip(); err != nil {
			return nil, false
		}
		return data[start] == 't', true
	case c == 'n':
		if err := d.Skip(); err != nil {
			return nil, false
		}
		return nil, true
	}
	return nil, false
}

// scanPairs reads a cniArgs array of two-string arrays.
func scanPairs(d *jsonx.Decoder) ([][2]string, bool) {
	if null, err := d.ArrayStart("array"); null || err != nil {
		return nil, false
	}
	pairs := [][2]string{}
	for first := true; ; first = false {
		more, err := d.ArrayNext(first)
		if err != nil {
			return nil, false
		}
		if !more {
			return pairs, true
		}
		if null, err := d.ArrayStart("array"); null || err != nil {
			return nil, false
		}
		var pair [2]string
		for i := 0; ; i++ {
			more, err := d.ArrayNext(i == 0)
			if err != nil || (more && i == 2) || (!more && i != 2) {
				return nil, false
			}
			if !more {
				break
			}
			b, null, err := d.ReadStringBytes()
			if null || err != nil {
				return nil, false
			}
			pair[i] = string(b)
		}
		pairs = append(pairs, pair)
	}
}
