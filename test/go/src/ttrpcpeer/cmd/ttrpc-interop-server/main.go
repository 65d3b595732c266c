// Command ttrpc-interop-server serves the ttrpc.interop.v1.Echo service with
// containerd/ttrpc on a Unix socket, for interoperability tests.
//
// Usage: ttrpc-interop-server --socket PATH
//
// It prints "listening unix://PATH" once ready and shuts down on SIGINT/SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/containerd/ttrpc"

	"ttrpcpeer/interop"
)

func main() {
	socket := flag.String("socket", "", "Unix socket path to listen on")
	flag.Parse()
	if *socket == "" {
		fmt.Fprintln(os.Stderr, "usage: ttrpc-interop-server --socket PATH")
		os.Exit(2)
	}
	if err := run(*socket); err != nil {
		fmt.Fprintln(os.Stderr, "ttrpc-interop-server:", err)
		os.Exit(1)
	}
}

func run(socket string) error {
	_ = os.Remove(socket)
	l, err := net.Listen("unix", socket)
	if err != nil {
		return err
	}
	defer os.Remove(socket)

	srv, err := ttrpc.NewServer()
	if err != nil {
		return err
	}
	interop.Register(srv)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), l) }()
	fmt.Printf("listening unix://%s\n", socket)

	select {
	case err := <-served:
		return err
	case <-signals:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		_ = srv.Close()
	}
	return nil
}
