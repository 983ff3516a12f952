// alloypush: pushes profiles to hearth the way Grafana Alloy's
// pyroscope.write does, through Pyroscope's own push.v1 definitions
// (github.com/grafana/pyroscope/api) and a connect-go client: the
// PusherService/Push call, protobuf by default, Connect JSON with -json.
//
//	alloypush -server http://127.0.0.1:4040 -token hth_... -service inventory -n 3
//
// Each push carries a CPU profile of this process (runtime/pprof, taken
// while hearthAlloyHotLoop burns CPU) labelled as Alloy labels a scraped
// Go program (__name__=process_cpu, service_name, job, instance), and a
// heap profile (__name__=memory).  With -dump DIR the raw profiles and
// their IDs are also written to DIR, so a test can compare.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"connectrpc.com/connect"
	pushv1 "github.com/grafana/pyroscope/api/gen/proto/go/push/v1"
	"github.com/grafana/pyroscope/api/gen/proto/go/push/v1/pushv1connect"
	typesv1 "github.com/grafana/pyroscope/api/gen/proto/go/types/v1"
)

//go:noinline
func hearthAlloyHotLoop(d time.Duration) uint64 {
	var h uint64 = 14695981039346656037
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		for i := 0; i < 100000; i++ {
			h ^= uint64(i)
			h *= 1099511628211
		}
	}
	return h
}

var sink [][]byte

func cpuProfile(d time.Duration) ([]byte, uint64) {
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		log.Fatal(err)
	}
	x := hearthAlloyHotLoop(d)
	pprof.StopCPUProfile()
	return buf.Bytes(), x
}

func heapProfile() []byte {
	for i := 0; i < 1000; i++ {
		sink = append(sink, make([]byte, 8192))
	}
	runtime.GC()
	var buf bytes.Buffer
	if err := pprof.Lookup("heap").WriteTo(&buf, 0); err != nil {
		log.Fatal(err)
	}
	return buf.Bytes()
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func labels(kv ...string) []*typesv1.LabelPair {
	var out []*typesv1.LabelPair
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, &typesv1.LabelPair{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

func main() {
	server := flag.String("server", "http://127.0.0.1:4040", "hearth's address")
	token := flag.String("token", os.Getenv("HEARTH_TOKEN"), "a hearth token with the push scope")
	service := flag.String("service", "alloypush", "service_name")
	n := flag.Int("n", 3, "pushes to make")
	every := flag.Duration("cpu", 1*time.Second, "CPU profile length per push")
	asJSON := flag.Bool("json", false, "use Connect's JSON codec instead of protobuf")
	dump := flag.String("dump", "", "a directory to write the pushed profiles to")
	flag.Parse()
	opts := []connect.ClientOption{}
	if *asJSON {
		opts = append(opts, connect.WithProtoJSON())
	}
	hc := &http.Client{Transport: bearer{*token, http.DefaultTransport}, Timeout: 30 * time.Second}
	client := pushv1connect.NewPusherServiceClient(hc, *server, opts...)
	if *dump != "" {
		if err := os.MkdirAll(*dump, 0o755); err != nil {
			log.Fatal(err)
		}
	}
	for i := 0; i < *n; i++ {
		cpu, _ := cpuProfile(*every)
		heap := heapProfile()
		cpuID, heapID := uuid(), uuid()
		req := &pushv1.PushRequest{Series: []*pushv1.RawProfileSeries{
			{
				Labels: labels("__name__", "process_cpu", "service_name", *service,
					"job", "alloypush", "instance", "127.0.0.1:6060", "__delta__", "false"),
				Samples: []*pushv1.RawSample{{RawProfile: cpu, ID: cpuID}},
			},
			{
				Labels: labels("__name__", "memory", "service_name", *service,
					"job", "alloypush", "instance", "127.0.0.1:6060"),
				Samples: []*pushv1.RawSample{{RawProfile: heap, ID: heapID}},
			},
		}}
		if _, err := client.Push(context.Background(), connect.NewRequest(req)); err != nil {
			log.Fatalf("push %d: %v", i, err)
		}
		if *dump != "" {
			_ = os.WriteFile(filepath.Join(*dump, fmt.Sprintf("cpu-%02d.pb.gz", i)), cpu, 0o644)
			_ = os.WriteFile(filepath.Join(*dump, fmt.Sprintf("heap-%02d.pb.gz", i)), heap, 0o644)
		}
		fmt.Printf("pushed %d: cpu %s heap %s\n", i, cpuID, heapID)
	}
}
