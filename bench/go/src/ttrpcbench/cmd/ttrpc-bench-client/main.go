// Command ttrpc-bench-client is the benchmark's Go load generator: N
// goroutines call bench.Echo/Echo in a loop over one ttrpc client (one Unix
// connection), each starting its next call when the previous one returns.
//
// One shot:  ttrpc-bench-client --socket PATH --inflight N --seconds S [--payload B]
// prints {"inflight":N,"calls":C,"seconds":T,"callsPerSec":R} and exits.
//
// Driven (no --seconds): prints "ready", then runs one round per JSON line on
// stdin ({"inflight":N,"seconds":S,"trackLatency":false}) and answers each with
// {"calls":C,"seconds":T,"latenciesMs":[...]} (latencies when asked, for
// sequential rounds); exits when stdin closes.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/ttrpc"

	"ttrpcbench/echo"
)

type round struct {
	Inflight     int     `json:"inflight"`
	Seconds      float64 `json:"seconds"`
	TrackLatency bool    `json:"trackLatency"`
}

type result struct {
	Calls       int64     `json:"calls"`
	Seconds     float64   `json:"seconds"`
	LatenciesMs []float64 `json:"latenciesMs"`
}

func main() {
	socket := flag.String("socket", "", "Unix socket path of the server")
	inflight := flag.Int("inflight", 1, "calls in flight (one shot)")
	seconds := flag.Float64("seconds", 0, "run one round of this many seconds and exit")
	payload := flag.Int("payload", 64, "request size in bytes")
	flag.Parse()
	if *socket == "" {
		fmt.Fprintln(os.Stderr, "usage: ttrpc-bench-client --socket PATH [--inflight N --seconds S] [--payload B]")
		os.Exit(2)
	}
	if err := run(strings.TrimPrefix(*socket, "unix://"), *inflight, *seconds, *payload); err != nil {
		fmt.Fprintln(os.Stderr, "ttrpc-bench-client:", err)
		os.Exit(1)
	}
}

func run(socket string, inflight int, seconds float64, size int) error {
	conn, err := net.Dial("unix", socket)
	if err != nil {
		return err
	}
	client := ttrpc.NewClient(conn)
	defer client.Close()
	body := make([]byte, size)
	for i := range body {
		body[i] = byte(i)
	}
	if seconds > 0 {
		r, err := measure(client, body, round{Inflight: inflight, Seconds: seconds})
		if err != nil {
			return err
		}
		return json.NewEncoder(os.Stdout).Encode(map[string]interface{}{
			"inflight": inflight, "calls": r.Calls, "seconds": r.Seconds, "callsPerSec": float64(r.Calls) / r.Seconds,
		})
	}
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var rd round
		if err := json.Unmarshal(in.Bytes(), &rd); err != nil {
			return err
		}
		r, err := measure(client, body, rd)
		if err != nil {
			return err
		}
		if err := out.Encode(r); err != nil {
			return err
		}
	}
	return in.Err()
}

// measure keeps rd.Inflight calls going for rd.Seconds, then waits for the ones in flight.
func measure(client *ttrpc.Client, body []byte, rd round) (result, error) {
	var calls int64
	var stopped atomic.Bool
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	latencies := []float64{}
	start := time.Now()
	timer := time.AfterFunc(time.Duration(rd.Seconds*float64(time.Second)), func() { stopped.Store(true) })
	defer timer.Stop()
	for i := 0; i < rd.Inflight; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := &echo.Raw{B: body}
			var resp echo.Raw
			for !stopped.Load() {
				t0 := time.Now()
				if err := client.Call(context.Background(), echo.ServiceName, "Echo", req, &resp); err != nil || len(resp.B) != len(body) {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("echo: %v (reply %d bytes)", err, len(resp.B))
					}
					mu.Unlock()
					stopped.Store(true)
					return
				}
				atomic.AddInt64(&calls, 1)
				if rd.TrackLatency {
					mu.Lock()
					latencies = append(latencies, float64(time.Since(t0).Nanoseconds())/1e6)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return result{Calls: calls, Seconds: time.Since(start).Seconds(), LatenciesMs: latencies}, firstErr
}
