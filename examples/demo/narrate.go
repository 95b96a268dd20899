package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	types100 "github.com/cnirt/cni/types/100"

	"github.com/cnirt/cni/types"
)

// narrator prints the demo's steps.
type narrator struct {
	out io.Writer
}

// step prints a step title.
func (n narrator) step(format string, args ...any) {
	fmt.Fprintf(n.out, "\n==> %s\n", fmt.Sprintf(format, args...))
}

// info prints an indented line.
func (n narrator) info(format string, args ...any) {
	fmt.Fprintf(n.out, "    %s\n", fmt.Sprintf(format, args...))
}

// block prints text indented.
func (n narrator) block(text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintf(n.out, "      %s\n", l)
	}
}

// result prints a result as indented JSON.
func (n narrator) result(r types.Result) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		n.info("(result not printable: %v)", err)
		return
	}
	n.block(string(b))
}

// summary is a one-line description of a 1.x result: addresses and
// interfaces.
func summary(r types.Result) string {
	res, err := types100.GetResult(r)
	if err != nil {
		return fmt.Sprintf("(result version %s: %v)", r.Version(), err)
	}
	var parts []string
	for _, ip := range res.IPs {
		s := ip.Address.String()
		if ip.Interface != nil && *ip.Interface < len(res.Interfaces) {
			s = res.Interfaces[*ip.Interface].Name + " " + s
		}
		if ip.Gateway != nil {
			s += " via " + ip.Gateway.String()
		}
		parts = append(parts, s)
	}
	for _, i := range res.Interfaces {
		if i.Sandbox == "" && strings.HasPrefix(i.Name, "veth") {
			parts = append(parts, "host side "+i.Name)
		}
	}
	if len(parts) == 0 {
		return "(no addresses)"
	}
	return strings.Join(parts, ", ")
}

// cleanups is a stack of clean-up actions run in reverse order with their
// own context, so they also run after Ctrl-C cancelled the demo's.
type cleanups struct {
	n   narrator
	fns []cleanupFn
}

type cleanupFn struct {
	what string
	fn   func(context.Context) error
}

func (c *cleanups) add(what string, fn func(context.Context) error) {
	c.fns = append(c.fns, cleanupFn{what, fn})
}

// run runs every action, newest first, and reports failures.
func (c *cleanups) run() {
	if len(c.fns) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c.n.step("Cleaning up")
	for i := len(c.fns) - 1; i >= 0; i-- {
		f := c.fns[i]
		if err := f.fn(ctx); err != nil {
			c.n.info("%-40s FAILED: %v", f.what, err)
			continue
		}
		c.n.info("%-40s done", f.what)
	}
	c.fns = nil
}
