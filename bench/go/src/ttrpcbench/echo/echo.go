// Package echo holds the benchmark's service, bench.Echo/Echo: a unary echo of
// raw bytes (the request body is the message, no protobuf fields), the same
// method the reactor-rpc benchmark servers serve with rawMethod.
package echo

import (
	"context"

	"github.com/containerd/ttrpc"
)

// ServiceName is the benchmark service's name; its one method is "Echo".
const ServiceName = "bench.Echo"

// Raw is a message whose encoding is its bytes. ttrpc v1.1.1 marshals through
// gogo/protobuf, which calls Marshal and Unmarshal when a message has them.
type Raw struct {
	B []byte
}

// Reset empties the message.
func (m *Raw) Reset() { m.B = nil }

// String describes the message.
func (m *Raw) String() string { return "Raw" }

// ProtoMessage marks Raw as a protobuf message.
func (*Raw) ProtoMessage() {}

// Marshal returns the bytes.
func (m *Raw) Marshal() ([]byte, error) { return m.B, nil }

// Unmarshal copies the bytes (ttrpc reuses its receive buffers).
func (m *Raw) Unmarshal(p []byte) error {
	m.B = append(m.B[:0], p...)
	return nil
}

// Register registers bench.Echo on a ttrpc server.
func Register(s *ttrpc.Server) {
	s.Register(ServiceName, map[string]ttrpc.Method{"Echo": echo})
}

func echo(_ context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	var req Raw
	if err := unmarshal(&req); err != nil {
		return nil, err
	}
	return &req, nil
}
