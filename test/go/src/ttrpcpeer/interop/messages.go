// Package interop holds the ttrpc interop messages (package ttrpc.interop.v1)
// and the Echo service, shared by the interop server and client.
//
// The messages are hand-written structs with protobuf struct tags: ttrpc v1.1.1
// marshals through gogo/protobuf's reflection path, which needs nothing else.
package interop

import (
	"fmt"

	"github.com/containerd/ttrpc"
)

// ServiceName is the fully-qualified name of the unary interop service.
const ServiceName = "ttrpc.interop.v1.Echo"

// MaxBigSize is the largest size Big accepts (64 MiB).
const MaxBigSize = 64 << 20

// Payload is ttrpc.interop.v1.Payload{bytes data = 1}.
type Payload struct {
	Data []byte `protobuf:"bytes,1,opt,name=data,proto3"`
}

func (m *Payload) Reset()         { *m = Payload{} }
func (m *Payload) String() string { return fmt.Sprintf("%+#v", m) }
func (*Payload) ProtoMessage()    {}

// FailRequest is ttrpc.interop.v1.FailRequest{int32 code = 1; string message = 2}.
type FailRequest struct {
	Code    int32  `protobuf:"varint,1,opt,name=code,proto3"`
	Message string `protobuf:"bytes,2,opt,name=message,proto3"`
}

func (m *FailRequest) Reset()         { *m = FailRequest{} }
func (m *FailRequest) String() string { return fmt.Sprintf("%+#v", m) }
func (*FailRequest) ProtoMessage()    {}

// SleepRequest is ttrpc.interop.v1.SleepRequest{int64 millis = 1}.
type SleepRequest struct {
	Millis int64 `protobuf:"varint,1,opt,name=millis,proto3"`
}

func (m *SleepRequest) Reset()         { *m = SleepRequest{} }
func (m *SleepRequest) String() string { return fmt.Sprintf("%+#v", m) }
func (*SleepRequest) ProtoMessage()    {}

// BigRequest is ttrpc.interop.v1.BigRequest{int64 size = 1}.
type BigRequest struct {
	Size int64 `protobuf:"varint,1,opt,name=size,proto3"`
}

func (m *BigRequest) Reset()         { *m = BigRequest{} }
func (m *BigRequest) String() string { return fmt.Sprintf("%+#v", m) }
func (*BigRequest) ProtoMessage()    {}

// MetadataResponse is ttrpc.interop.v1.MetadataResponse{repeated ttrpc.KeyValue entries = 1}.
type MetadataResponse struct {
	Entries []*ttrpc.KeyValue `protobuf:"bytes,1,rep,name=entries,proto3"`
}

func (m *MetadataResponse) Reset()         { *m = MetadataResponse{} }
func (m *MetadataResponse) String() string { return fmt.Sprintf("%+#v", m) }
func (*MetadataResponse) ProtoMessage()    {}

// BigData returns size bytes where byte i is i mod 251.
func BigData(size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}
