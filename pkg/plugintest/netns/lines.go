package netns

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"time"
)

// connTimeout bounds one connection of ServeLines and one attempt of
// ExchangeRetry.
const connTimeout = 5 * time.Second

// retryPause is the pause between two attempts of ExchangeRetry.
const retryPause = 100 * time.Millisecond

// ServeLines accepts connections on ln until ln is closed. From each
// connection it reads one line and answers with reply(line) followed by a
// newline; line is passed without its line end. Every connection is served
// by its own goroutine and closed after at most five seconds. ServeLines
// returns nil once ln is closed, or the error that stopped Accept.
func ServeLines(ln net.Listener, reply func(line string) string) error {
	for {
		c, err := ln.Accept()
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(connTimeout))
			line, err := bufio.NewReader(c).ReadString('\n')
			if err != nil {
				return
			}
			_, _ = io.WriteString(c, reply(strings.TrimRight(line, "\r\n"))+"\n")
		}()
	}
}

// Exchange connects to addr over network from inside the namespace at
// path ("" = the host), sends line followed by a newline and returns the
// first line of the answer without its line end. ctx bounds the dial, and
// its deadline, if any, the whole exchange.
func Exchange(ctx context.Context, path, network, addr, line string) (string, error) {
	conn, err := Dial(ctx, path, network, addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
	}
	if _, err := io.WriteString(conn, line+"\n"); err != nil {
		return "", err
	}
	answer, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimRight(answer, "\r\n"), nil
}

// ExchangeRetry repeats Exchange, each attempt limited to five seconds,
// until one succeeds or ctx ends; this rides out links that are still
// coming up (duplicate address detection, neighbour discovery). When ctx
// ends first it returns the last attempt's error, joined with ctx's.
func ExchangeRetry(ctx context.Context, path, network, addr, line string) (string, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, connTimeout)
		answer, err := Exchange(actx, path, network, addr, line)
		cancel()
		if err == nil {
			return answer, nil
		}
		select {
		case <-ctx.Done():
			return "", errors.Join(err, ctx.Err())
		case <-time.After(retryPause):
		}
	}
}
