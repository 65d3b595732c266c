package main

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"

	"ttrpcpeer/interop"
)

// scenarioOrder lists the unary scenarios in the order "all" runs them.
var scenarioOrder = []string{
	"echo", "echo_empty", "echo_metadata", "error_status", "timeout", "sleep_ok",
	"big_response", "unknown_service", "unknown_method", "multi_call", "concurrent",
}

// scenarios maps scenario names to their implementation; each runs on a fresh connection.
var scenarios = map[string]func(c *ttrpc.Client) error{
	"echo":            echo,
	"echo_empty":      echoEmpty,
	"echo_metadata":   echoMetadata,
	"error_status":    errorStatus,
	"timeout":         timeout,
	"sleep_ok":        sleepOK,
	"big_response":    bigResponse,
	"unknown_service": unknownService,
	"unknown_method":  unknownMethod,
	"multi_call":      multiCall,
	"concurrent":      concurrent,
}

func echo(c *ttrpc.Client) error      { return echoOnce(c, []byte("hello ttrpc")) }
func echoEmpty(c *ttrpc.Client) error { return echoOnce(c, nil) }

// echoOnce calls Echo with data and checks the reply byte for byte.
func echoOnce(c *ttrpc.Client, data []byte) error {
	var resp interop.Payload
	if err := c.Call(context.Background(), interop.ServiceName, "Echo", &interop.Payload{Data: data}, &resp); err != nil {
		return fmt.Errorf("Echo: %v", err)
	}
	if !bytes.Equal(resp.Data, data) {
		return fmt.Errorf("Echo returned %q, want %q", resp.Data, data)
	}
	return nil
}

func echoMetadata(c *ttrpc.Client) error {
	md := ttrpc.MD{}
	md.Set("x-interop-key", "v1", "v2")
	md.Set("another-key", "a")
	ctx := ttrpc.WithMetadata(context.Background(), md)
	var resp interop.MetadataResponse
	if err := c.Call(ctx, interop.ServiceName, "Metadata", &interop.Payload{Data: []byte("md")}, &resp); err != nil {
		return fmt.Errorf("Metadata: %v", err)
	}
	want := [][2]string{{"another-key", "a"}, {"x-interop-key", "v1"}, {"x-interop-key", "v2"}}
	got := make([][2]string, len(resp.Entries))
	for i, kv := range resp.Entries {
		got[i] = [2]string{kv.Key, kv.Value}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Errorf("Metadata returned %v, want %v", got, want)
	}
	return nil
}

func errorStatus(c *ttrpc.Client) error {
	var resp interop.Payload
	err := c.Call(context.Background(), interop.ServiceName, "Fail", &interop.FailRequest{Code: 5, Message: "thing not found"}, &resp)
	return expectServerStatus(err, codes.NotFound, "thing not found")
}

// timeout checks the local deadline (client gives up) and that the server
// itself honours timeout_nano (its reply carries DEADLINE_EXCEEDED).
func timeout(c *ttrpc.Client) error {
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var resp interop.Payload
	err := c.Call(ctx, interop.ServiceName, "Sleep", &interop.SleepRequest{Millis: 500}, &resp)
	if err := expectCode(err, codes.DeadlineExceeded); err != nil {
		return fmt.Errorf("client deadline: %v", err)
	}
	sctx := withServerTimeout(context.Background(), 100*time.Millisecond)
	err = c.Call(sctx, interop.ServiceName, "Sleep", &interop.SleepRequest{Millis: 500}, &resp)
	if err := expectServerStatus(err, codes.DeadlineExceeded, ""); err != nil {
		return fmt.Errorf("server did not honour timeout_nano: %v", err)
	}
	return nil
}

func sleepOK(c *ttrpc.Client) error {
	var resp interop.Payload
	if err := c.Call(context.Background(), interop.ServiceName, "Sleep", &interop.SleepRequest{Millis: 20}, &resp); err != nil {
		return fmt.Errorf("Sleep: %v", err)
	}
	if string(resp.Data) != "slept" {
		return fmt.Errorf("Sleep returned %q, want \"slept\"", resp.Data)
	}
	return nil
}

// bigResponse fetches 1 MiB and checks every byte, then the size limits.
func bigResponse(c *ttrpc.Client) error {
	const size = 1 << 20
	var resp interop.Payload
	if err := c.Call(context.Background(), interop.ServiceName, "Big", &interop.BigRequest{Size: size}, &resp); err != nil {
		return fmt.Errorf("Big: %v", err)
	}
	if len(resp.Data) != size {
		return fmt.Errorf("Big returned %d bytes, want %d", len(resp.Data), size)
	}
	for i, b := range resp.Data {
		if b != byte(i%251) {
			return fmt.Errorf("Big byte %d is %d, want %d", i, b, i%251)
		}
	}
	for _, bad := range []int64{-1, interop.MaxBigSize + 1} {
		err := c.Call(context.Background(), interop.ServiceName, "Big", &interop.BigRequest{Size: bad}, &resp)
		if err := expectServerStatus(err, codes.InvalidArgument, ""); err != nil {
			return fmt.Errorf("Big(%d): %v", bad, err)
		}
	}
	return nil
}

func unknownService(c *ttrpc.Client) error {
	var resp interop.Payload
	err := c.Call(context.Background(), "ttrpc.interop.v1.Nope", "Echo", &interop.Payload{Data: []byte("x")}, &resp)
	return expectServerStatus(err, codes.Unimplemented, "")
}

func unknownMethod(c *ttrpc.Client) error {
	var resp interop.Payload
	err := c.Call(context.Background(), interop.ServiceName, "Nope", &interop.Payload{Data: []byte("x")}, &resp)
	return expectServerStatus(err, codes.Unimplemented, "")
}

// multiCall makes three sequential calls on one connection.
func multiCall(c *ttrpc.Client) error {
	for i := 0; i < 3; i++ {
		if err := echoOnce(c, []byte(fmt.Sprintf("call-%d", i))); err != nil {
			return fmt.Errorf("call %d: %v", i, err)
		}
	}
	return nil
}

// concurrent releases 100 Echo calls at once on one connection, each with a
// distinct payload of a different size, and checks every reply.
func concurrent(c *ttrpc.Client) error {
	const n = 100
	start := make(chan struct{})
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		data := bytes.Repeat([]byte(fmt.Sprintf("concurrent-%03d;", i)), i*37+1)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			if err := echoOnce(c, data); err != nil {
				errs <- fmt.Errorf("call %d: %v", i, err)
			}
		}(i)
	}
	close(start)
	wg.Wait()
	close(errs)
	failed := 0
	var first error
	for err := range errs {
		if first == nil {
			first = err
		}
		failed++
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d calls failed, first: %v", failed, n, first)
	}
	return nil
}
