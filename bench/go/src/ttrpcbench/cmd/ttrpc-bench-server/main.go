// Command ttrpc-bench-server serves bench.Echo/Echo (raw bytes) with
// containerd/ttrpc on a Unix socket: the Go column of the benchmark.
//
// Usage: ttrpc-bench-server --socket PATH
//
// It prints "listening unix://PATH" once ready and exits on SIGINT/SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/containerd/ttrpc"

	"ttrpcbench/echo"
)

func main() {
	socket := flag.String("socket", "", "Unix socket path to listen on")
	flag.Parse()
	if *socket == "" {
		fmt.Fprintln(os.Stderr, "usage: ttrpc-bench-server --socket PATH")
		os.Exit(2)
	}
	if err := run(*socket); err != nil {
		fmt.Fprintln(os.Stderr, "ttrpc-bench-server:", err)
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
	echo.Register(srv)
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
	return srv.Close()
}
