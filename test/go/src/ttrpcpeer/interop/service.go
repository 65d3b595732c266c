package interop

import (
	"context"
	"sort"
	"time"

	"github.com/containerd/ttrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Register registers the ttrpc.interop.v1.Echo service on a ttrpc server.
func Register(s *ttrpc.Server) {
	s.Register(ServiceName, map[string]ttrpc.Method{
		"Echo":     echo,
		"Fail":     fail,
		"Metadata": metadata,
		"Sleep":    sleep,
		"Big":      big,
	})
}

// echo returns the request.
func echo(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	var req Payload
	if err := unmarshal(&req); err != nil {
		return nil, err
	}
	return &req, nil
}

// fail fails with the status named in the request (code 0 succeeds with an empty Payload).
func fail(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	var req FailRequest
	if err := unmarshal(&req); err != nil {
		return nil, err
	}
	if req.Code == 0 {
		return &Payload{}, nil
	}
	return nil, status.Error(codes.Code(req.Code), req.Message)
}

// metadata returns the request metadata, one entry per value, sorted by key.
func metadata(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	var req Payload
	if err := unmarshal(&req); err != nil {
		return nil, err
	}
	resp := &MetadataResponse{}
	md, ok := ttrpc.GetMetadata(ctx)
	if !ok {
		return resp, nil
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range md[k] {
			resp.Entries = append(resp.Entries, &ttrpc.KeyValue{Key: k, Value: v})
		}
	}
	return resp, nil
}

// sleep waits millis, then returns "slept"; it fails with the context's error
// (DEADLINE_EXCEEDED or CANCELLED) if the context ends first.
func sleep(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	var req SleepRequest
	if err := unmarshal(&req); err != nil {
		return nil, err
	}
	timer := time.NewTimer(time.Duration(req.Millis) * time.Millisecond)
	defer timer.Stop()
	select {
	case <-timer.C:
		return &Payload{Data: []byte("slept")}, nil
	case <-ctx.Done():
		if ctx.Err() == context.DeadlineExceeded {
			return nil, status.Error(codes.DeadlineExceeded, ctx.Err().Error())
		}
		return nil, status.Error(codes.Canceled, ctx.Err().Error())
	}
}

// big returns size bytes (byte i = i mod 251); sizes outside 0..64 MiB are INVALID_ARGUMENT.
func big(ctx context.Context, unmarshal func(interface{}) error) (interface{}, error) {
	var req BigRequest
	if err := unmarshal(&req); err != nil {
		return nil, err
	}
	if req.Size < 0 || req.Size > MaxBigSize {
		return nil, status.Errorf(codes.InvalidArgument, "size %d out of range 0..%d", req.Size, MaxBigSize)
	}
	return &Payload{Data: BigData(int(req.Size))}, nil
}
