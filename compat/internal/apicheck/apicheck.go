// Package apicheck lists the exported API of a package identifier by
// identifier, in a form that can be compared between the reference library
// and the compat shim: every exported constant, variable, function and
// type, and of each type every exported method, struct field and
// interface method, with its signature. Package paths of cnirt and of the
// shim are written as the reference paths they stand for, and parameter
// names are left out, so two declarations compare equal exactly when a
// caller cannot tell them apart.
package apicheck

import (
	"fmt"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"github.com/cnirt/cni/compat/internal/apiload"
)

// API maps an identifier ("github.com/containernetworking/cni/libcni.CNIConfig.AddNetworkList")
// to its description ("method *: func(context.Context, ...) (...)").
type API map[string]string

// Describe lists the exported API of pkg under the reference path refPath.
func Describe(pkg *types.Package, refPath string) API {
	api := API{}
	scope := pkg.Scope()
	for _, name := range scope.Names() {
		if !token.IsExported(name) {
			continue
		}
		key := refPath + "." + name
		switch obj := scope.Lookup(name).(type) {
		case *types.Const:
			api[key] = "const " + typeString(obj.Type()) + " = " + obj.Val().ExactString()
		case *types.Var:
			api[key] = "var " + typeString(obj.Type())
		case *types.Func:
			api[key] = "func " + typeString(obj.Type())
		case *types.TypeName:
			describeType(api, key, obj)
		}
	}
	return api
}

// describeType adds a type and its members. A type alias is described by
// what it stands for, so the shim's aliases of cnirt's types compare equal
// to the reference's own types when cnirt's type has the reference's name
// at the mirrored path.
func describeType(api API, key string, obj *types.TypeName) {
	t := types.Unalias(obj.Type())
	named, ok := t.(*types.Named)
	if !ok {
		api[key] = "type = " + typeString(t)
		return
	}
	api[key] = "type " + typeString(named)
	under := named.Underlying()
	switch u := under.(type) {
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			f := u.Field(i)
			if !f.Exported() {
				continue
			}
			desc := "field " + typeString(f.Type())
			if f.Embedded() {
				desc = "embedded " + typeString(f.Type())
			}
			if tag := u.Tag(i); tag != "" {
				desc += " `" + tag + "`"
			}
			api[key+"."+f.Name()] = desc
		}
	case *types.Interface:
		for i := 0; i < u.NumMethods(); i++ {
			if m := u.Method(i); m.Exported() {
				api[key+"."+m.Name()] = "interface method " + typeString(m.Type())
			}
		}
		return
	default:
		api[key+".(underlying)"] = "underlying " + typeString(under)
	}
	value := types.NewMethodSet(named)
	ptr := types.NewMethodSet(types.NewPointer(named))
	for i := 0; i < ptr.Len(); i++ {
		m := ptr.At(i).Obj()
		if !m.Exported() {
			continue
		}
		recv := "*"
		if value.Lookup(m.Pkg(), m.Name()) != nil {
			recv = "value"
		}
		api[key+"."+m.Name()] = "method (" + recv + ") " + typeString(m.Type())
	}
}

// typeString writes t with package paths mapped to the reference's and
// without parameter names.
func typeString(t types.Type) string {
	var b strings.Builder
	writeType(&b, t)
	return b.String()
}

func writeType(b *strings.Builder, t types.Type) {
	switch t := t.(type) {
	case *types.Alias:
		writeType(b, types.Unalias(t))
	case *types.Named:
		if obj := t.Obj(); obj.Pkg() != nil {
			b.WriteString(apiload.RefPath(obj.Pkg().Path()) + ".")
		}
		b.WriteString(t.Obj().Name())
		if args := t.TypeArgs(); args.Len() > 0 {
			b.WriteString("[")
			for i := 0; i < args.Len(); i++ {
				if i > 0 {
					b.WriteString(", ")
				}
				writeType(b, args.At(i))
			}
			b.WriteString("]")
		}
	case *types.Basic:
		b.WriteString(t.Name())
	case *types.Pointer:
		b.WriteString("*")
		writeType(b, t.Elem())
	case *types.Slice:
		b.WriteString("[]")
		writeType(b, t.Elem())
	case *types.Array:
		fmt.Fprintf(b, "[%d]", t.Len())
		writeType(b, t.Elem())
	case *types.Map:
		b.WriteString("map[")
		writeType(b, t.Key())
		b.WriteString("]")
		writeType(b, t.Elem())
	case *types.Chan:
		switch t.Dir() {
		case types.SendRecv:
			b.WriteString("chan ")
		case types.SendOnly:
			b.WriteString("chan<- ")
		case types.RecvOnly:
			b.WriteString("<-chan ")
		}
		writeType(b, t.Elem())
	case *types.Signature:
		b.WriteString("func(")
		for i := 0; i < t.Params().Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			p := t.Params().At(i).Type()
			if t.Variadic() && i == t.Params().Len()-1 {
				b.WriteString("...")
				p = p.(*types.Slice).Elem()
			}
			writeType(b, p)
		}
		b.WriteString(")")
		switch n := t.Results().Len(); n {
		case 0:
		case 1:
			b.WriteString(" ")
			writeType(b, t.Results().At(0).Type())
		default:
			b.WriteString(" (")
			for i := 0; i < n; i++ {
				if i > 0 {
					b.WriteString(", ")
				}
				writeType(b, t.Results().At(i).Type())
			}
			b.WriteString(")")
		}
	case *types.Interface:
		var parts []string
		for i := 0; i < t.NumExplicitMethods(); i++ {
			m := t.ExplicitMethod(i)
			parts = append(parts, m.Name()+strings.TrimPrefix(typeString(m.Type()), "func"))
		}
		for i := 0; i < t.NumEmbeddeds(); i++ {
			parts = append(parts, typeString(t.EmbeddedType(i)))
		}
		sort.Strings(parts)
		b.WriteString("interface{" + strings.Join(parts, "; ") + "}")
	case *types.Struct:
		b.WriteString("struct{")
		for i := 0; i < t.NumFields(); i++ {
			if i > 0 {
				b.WriteString("; ")
			}
			f := t.Field(i)
			if !f.Embedded() {
				b.WriteString(f.Name() + " ")
			}
			writeType(b, f.Type())
			if tag := t.Tag(i); tag != "" {
				b.WriteString(" `" + tag + "`")
			}
		}
		b.WriteString("}")
	case *types.TypeParam:
		b.WriteString(t.Obj().Name())
	default:
		b.WriteString(types.TypeString(t, func(p *types.Package) string { return apiload.RefPath(p.Path()) }))
	}
}

// Diff compares the shim's API with the reference's. It returns the
// reference's identifiers in order, those the shim lacks, and for those
// described differently a line giving both descriptions. Identifiers only
// the shim has (cnirt's additions on shared types) are not differences.
func Diff(ref, shim API) (compared, missing, different []string) {
	for k := range ref {
		compared = append(compared, k)
	}
	sort.Strings(compared)
	for _, k := range compared {
		got, ok := shim[k]
		switch {
		case !ok:
			missing = append(missing, k)
		case got != ref[k]:
			different = append(different, fmt.Sprintf("%s:\n\treference: %s\n\tshim:      %s", k, ref[k], got))
		}
	}
	return compared, missing, different
}
