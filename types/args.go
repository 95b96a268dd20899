package types

import (
	"encoding"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// UnmarshallableBool is a bool that CNI_ARGS can set: "1"/"true" and
// "0"/"false", in any case.
type UnmarshallableBool bool

// UnmarshalText parses "1", "true", "0" or "false", ignoring case.
func (b *UnmarshallableBool) UnmarshalText(data []byte) error {
	switch s := strings.ToLower(string(data)); s {
	case "1", "true":
		*b = true
	case "0", "false":
		*b = false
	default:
		return fmt.Errorf("boolean unmarshal error: invalid input %s", s)
	}
	return nil
}

// UnmarshallableString is a string that CNI_ARGS can set.
type UnmarshallableString string

// UnmarshalText takes the text as it is.
func (s *UnmarshallableString) UnmarshalText(data []byte) error {
	*s = UnmarshallableString(data)
	return nil
}

// CommonArgs is embedded in a plugin's CNI_ARGS struct. IgnoreUnknown=1 in
// CNI_ARGS tells LoadArgs to accept keys the struct does not have.
type CommonArgs struct {
	// IgnoreUnknown accepts keys that have no field.
	IgnoreUnknown UnmarshallableBool `json:"ignoreunknown,omitempty"`
}

// GetKeyField returns the field named keyString of the struct v points to,
// or the zero Value when there is none.
func GetKeyField(keyString string, v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v.Elem().FieldByName(keyString)
}

// UnmarshalableArgsError is returned by LoadArgs when a key's field cannot
// be set from text.
type UnmarshalableArgsError struct {
	error
}

// Unwrap returns the underlying error.
func (e UnmarshalableArgsError) Unwrap() error { return e.error }

// errArgsContainer is the cause when LoadArgs is given something other than
// a pointer to a struct.
var errArgsContainer = errors.New("ARGS: container must be a non-nil pointer to a struct")

// LoadArgs parses CNI_ARGS ("K1=V1;K2=V2") into the exported fields of the
// struct container points to. Each field must implement
// encoding.TextUnmarshaler (pointer fields are allocated). Keys without a
// field are an error unless the struct's IgnoreUnknown field is true.
func LoadArgs(args string, container interface{}) error {
	if args == "" {
		return nil
	}
	target := reflect.ValueOf(container)
	if target.Kind() != reflect.Pointer || target.IsNil() || target.Elem().Kind() != reflect.Struct {
		return errArgsContainer
	}

	var unknown []string
	for pair := range strings.SplitSeq(args, ";") {
		key, value, ok := strings.Cut(pair, "=")
		if !ok || strings.Contains(value, "=") {
			return fmt.Errorf("ARGS: invalid pair %q", pair)
		}
		field := GetKeyField(key, target)
		if !field.IsValid() {
			unknown = append(unknown, pair)
			continue
		}
		var dest interface{}
		switch {
		case !field.CanSet():
			return UnmarshalableArgsError{fmt.Errorf("field '%s' has no valid interface", key)}
		case field.Kind() == reflect.Pointer:
			field.Set(reflect.New(field.Type().Elem()))
			dest = field.Interface()
		default:
			dest = field.Addr().Interface()
		}
		u, ok := dest.(encoding.TextUnmarshaler)
		if !ok {
			return UnmarshalableArgsError{fmt.Errorf(
				"ARGS: cannot unmarshal into field '%s' - type '%s' does not implement encoding.TextUnmarshaler",
				key, reflect.TypeOf(dest))}
		}
		if err := u.UnmarshalText([]byte(value)); err != nil {
			return fmt.Errorf("ARGS: error parsing value of pair %q: %w", pair, err)
		}
	}

	if len(unknown) > 0 && !ignoreUnknown(target) {
		return fmt.Errorf("ARGS: unknown args %q", unknown)
	}
	return nil
}

// ignoreUnknown reports whether the struct's IgnoreUnknown field is a true
// bool; a struct without one does not ignore unknown keys.
func ignoreUnknown(target reflect.Value) bool {
	f := GetKeyField("IgnoreUnknown", target)
	return f.IsValid() && f.Kind() == reflect.Bool && f.Bool()
}
