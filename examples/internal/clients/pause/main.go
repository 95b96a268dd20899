// Command pause is the sandbox ("pause") process of the pod image that the
// clients driver builds for containerd: a static binary that does nothing
// until SIGTERM or SIGINT arrives, and meanwhile answers every line sent to
// TCP port 7007 with the pod's host name, so that the driver can prove two
// pods reach each other over the pod network without ping or a shell in
// the image.
//
// As PID 1 of a PID namespace it must handle the signals itself: the kernel
// drops signals without a handler sent to PID 1.
package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/cnirt/cni/pkg/plugintest/netns"
)

// Port is the TCP port the pod answers on.
const Port = 7007

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", Port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "pause: listen:", err)
		os.Exit(1)
	}
	go func() { _ = netns.ServeLines(ln, func(string) string { return host }) }()
	<-sig
	_ = ln.Close()
}
