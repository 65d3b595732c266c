// Command ttrpc-interop-client runs the unary ttrpc interop scenarios with
// containerd/ttrpc against a server on a Unix socket.
//
// Usage: ttrpc-interop-client --socket PATH [--scenario NAME[,NAME]|all]
//
// It prints "PASS name" or "FAIL name: reason" per scenario and exits 1 if any failed.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
)

// scenarioTimeout bounds one scenario so that a silent server cannot hang the run.
const scenarioTimeout = 20 * time.Second

func main() {
	socket := flag.String("socket", "", "Unix socket path of the server")
	list := flag.String("scenario", "all", "comma-separated scenario names, or all")
	flag.Parse()
	if *socket == "" {
		fmt.Fprintln(os.Stderr, "usage: ttrpc-interop-client --socket PATH [--scenario a,b|all]")
		os.Exit(2)
	}
	failed := false
	for _, name := range selected(*list) {
		if err := runOne(*socket, name); err != nil {
			failed = true
			fmt.Printf("FAIL %s: %s\n", name, oneLine(err.Error()))
		} else {
			fmt.Printf("PASS %s\n", name)
		}
	}
	if failed {
		os.Exit(1)
	}
}

// selected expands the --scenario value into scenario names.
func selected(list string) []string {
	if list == "" || list == "all" {
		return scenarioOrder
	}
	var names []string
	for _, n := range strings.Split(list, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// runOne runs one scenario with a watchdog.
func runOne(socket, name string) error {
	fn, ok := scenarios[name]
	if !ok {
		if strings.HasPrefix(name, "stream_") {
			return fmt.Errorf("streaming is not supported by containerd/ttrpc v1.1.1")
		}
		return fmt.Errorf("unknown scenario")
	}
	done := make(chan error, 1)
	go func() { done <- withClient(socket, fn) }()
	select {
	case err := <-done:
		return err
	case <-time.After(scenarioTimeout):
		return fmt.Errorf("timed out after %s", scenarioTimeout)
	}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
