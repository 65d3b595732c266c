package interop

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/ttrpc"
	"github.com/gogo/protobuf/proto"
)

// vectorsDir locates the ttrpc golden vectors (TTRPC_VECTORS overrides the
// default location, test/vectors/ttrpc in the repository).
func vectorsDir() string {
	if d := os.Getenv("TTRPC_VECTORS"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "..", "vectors", "ttrpc")
}

type vector struct {
	C2S []string `json:"client_to_server_hex"`
	S2C []string `json:"server_to_client_hex"`
}

// frameBody returns the data of a hex-encoded frame after checking its header length.
func frameBody(t *testing.T, frameHex string) []byte {
	t.Helper()
	b, err := hex.DecodeString(frameHex)
	if err != nil || len(b) < 10 {
		t.Fatalf("bad frame hex: %v", err)
	}
	if n := binary.BigEndian.Uint32(b[:4]); int(n) != len(b)-10 {
		t.Fatalf("frame length %d, have %d data bytes", n, len(b)-10)
	}
	return b[10:]
}

func loadVector(t *testing.T, name string) vector {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(vectorsDir(), name+".json"))
	if err != nil {
		t.Fatalf("read vector: %v", err)
	}
	var v vector
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("parse vector %s: %v", name, err)
	}
	return v
}

// requestPayload decodes the ttrpc.Request of frame i of the client direction.
func requestPayload(t *testing.T, v vector, i int) []byte {
	t.Helper()
	var req ttrpc.Request
	if err := proto.Unmarshal(frameBody(t, v.C2S[i]), &req); err != nil {
		t.Fatalf("decode request: %v", err)
	}
	return req.Payload
}

// responsePayload decodes the ttrpc.Response of frame i of the server direction.
func responsePayload(t *testing.T, v vector, i int) []byte {
	t.Helper()
	var resp ttrpc.Response
	if err := proto.Unmarshal(frameBody(t, v.S2C[i]), &resp); err != nil {
		t.Fatalf("decode response: %v", err)
	}
	return resp.Payload
}

func expectBytes(t *testing.T, what string, msg proto.Message, want []byte) {
	t.Helper()
	got, err := proto.Marshal(msg)
	if err != nil {
		t.Fatalf("%s: marshal: %v", what, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: marshalled %x, vector has %x", what, got, want)
	}
}

func TestMessagesMatchVectors(t *testing.T) {
	echo := loadVector(t, "echo")
	expectBytes(t, "echo request", &Payload{Data: []byte("hello ttrpc")}, requestPayload(t, echo, 0))
	expectBytes(t, "echo response", &Payload{Data: []byte("hello ttrpc")}, responsePayload(t, echo, 0))

	empty := loadVector(t, "echo_empty")
	expectBytes(t, "echo_empty request", &Payload{}, requestPayload(t, empty, 0))
	expectBytes(t, "echo_empty response", &Payload{}, responsePayload(t, empty, 0))

	md := loadVector(t, "echo_metadata")
	expectBytes(t, "echo_metadata request", &Payload{Data: []byte("md")}, requestPayload(t, md, 0))
	expectBytes(t, "echo_metadata response", &MetadataResponse{Entries: []*ttrpc.KeyValue{
		{Key: "another-key", Value: "a"},
		{Key: "x-interop-key", Value: "v1"},
		{Key: "x-interop-key", Value: "v2"},
	}}, responsePayload(t, md, 0))

	fail := loadVector(t, "error_status")
	expectBytes(t, "error_status request", &FailRequest{Code: 5, Message: "thing not found"}, requestPayload(t, fail, 0))

	timeout := loadVector(t, "timeout")
	expectBytes(t, "timeout request", &SleepRequest{Millis: 2000}, requestPayload(t, timeout, 0))

	sleepOK := loadVector(t, "sleep_ok")
	expectBytes(t, "sleep_ok request", &SleepRequest{Millis: 20}, requestPayload(t, sleepOK, 0))
	expectBytes(t, "sleep_ok response", &Payload{Data: []byte("slept")}, responsePayload(t, sleepOK, 0))

	big := loadVector(t, "big_response")
	expectBytes(t, "big_response request", &BigRequest{Size: 1 << 20}, requestPayload(t, big, 0))
	expectBytes(t, "big_response response", &Payload{Data: BigData(1 << 20)}, responsePayload(t, big, 0))

	multi := loadVector(t, "multi_call")
	for i, data := range []string{"call-0", "call-1", "call-2"} {
		expectBytes(t, "multi_call request", &Payload{Data: []byte(data)}, requestPayload(t, multi, i))
		expectBytes(t, "multi_call response", &Payload{Data: []byte(data)}, responsePayload(t, multi, i))
	}
}

func TestMessagesRoundTrip(t *testing.T) {
	in := &MetadataResponse{Entries: []*ttrpc.KeyValue{{Key: "k", Value: "v"}}}
	raw, err := proto.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out MetadataResponse
	if err := proto.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Entries) != 1 || out.Entries[0].Key != "k" || out.Entries[0].Value != "v" {
		t.Fatalf("round trip lost entries: %v", out.Entries)
	}
	var neg BigRequest
	if err := proto.Unmarshal([]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, &neg); err != nil || neg.Size != -1 {
		t.Fatalf("negative size decode: %v %d", err, neg.Size)
	}
}
