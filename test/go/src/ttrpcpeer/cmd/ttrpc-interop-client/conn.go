package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// serverTimeoutKey marks a context whose call should carry this timeout_nano
// on the wire while the client itself waits without a deadline.
type serverTimeoutKey struct{}

// withServerTimeout asks the interceptor to send timeout_nano = d.
func withServerTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, serverTimeoutKey{}, d)
}

// interceptor sorts metadata by key (keeping the order of values within a key)
// for deterministic bytes, and applies withServerTimeout.
func interceptor(ctx context.Context, req *ttrpc.Request, resp *ttrpc.Response, info *ttrpc.UnaryClientInfo, invoke ttrpc.Invoker) error {
	sort.SliceStable(req.Metadata, func(i, j int) bool { return req.Metadata[i].Key < req.Metadata[j].Key })
	if d, ok := ctx.Value(serverTimeoutKey{}).(time.Duration); ok {
		req.TimeoutNano = d.Nanoseconds()
	}
	return invoke(ctx, req, resp)
}

// connect opens a new connection and ttrpc client.
func connect(socket string) (*ttrpc.Client, error) {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	return ttrpc.NewClient(conn, ttrpc.WithUnaryClientInterceptor(interceptor)), nil
}

// withClient runs fn with a fresh connection and closes it afterwards.
func withClient(socket string, fn func(c *ttrpc.Client) error) error {
	c, err := connect(socket)
	if err != nil {
		return err
	}
	defer c.Close()
	return fn(c)
}

// codeOf returns the status code of a call error; a local context expiry
// counts as DEADLINE_EXCEEDED / CANCELLED.
func codeOf(err error) codes.Code {
	switch {
	case err == nil:
		return codes.OK
	case errors.Is(err, context.DeadlineExceeded):
		return codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		return codes.Canceled
	}
	return status.Code(err)
}

// expectCode checks that err carries code want.
func expectCode(err error, want codes.Code) error {
	if got := codeOf(err); got != want {
		return fmt.Errorf("want code %d %s, got %d %s (%v)", want, want, got, got, err)
	}
	return nil
}

// expectServerStatus checks that err is a status from the server with code
// want and, unless msg is "", exactly that message.
func expectServerStatus(err error, want codes.Code, msg string) error {
	st, ok := status.FromError(err)
	if err == nil || !ok {
		return fmt.Errorf("want server status %d %s, got %v", want, want, err)
	}
	if st.Code() != want {
		return fmt.Errorf("want code %d %s, got %d %s (%q)", want, want, st.Code(), st.Code(), st.Message())
	}
	if msg != "" && st.Message() != msg {
		return fmt.Errorf("want message %q, got %q", msg, st.Message())
	}
	return nil
}
