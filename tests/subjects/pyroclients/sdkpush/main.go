// sdkpush: a Go program profiled by the Pyroscope Go SDK
// (github.com/grafana/pyroscope-go), pointed at hearth with only the
// server address and a token changed, as a user would:
//
//	sdkpush -server http://127.0.0.1:4040 -token hth_... -app shop -for 12s
//
// It burns CPU in hearthSDKHotLoop (the function that must lead hearth's CPU
// top) and allocates in hearthSDKAllocate while the SDK uploads every
// -rate.  With -dump DIR, every upload the SDK makes is also written to DIR
// (its query and its profile part, as sent) by a tee around the SDK's
// HTTP client, so a test can compare hearth's answers with what was sent.
package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/pyroscope-go"
)

//go:noinline
func hearthSDKHotLoop(n int) uint64 {
	var h uint64 = 1469598103934665603
	for i := 0; i < n; i++ {
		h ^= uint64(i)
		h *= 1099511628211
	}
	return h
}

var sink [][]byte

//go:noinline
func hearthSDKAllocate(n int) {
	for i := 0; i < n; i++ {
		sink = append(sink, make([]byte, 4096+i%1024))
		if len(sink) > 256 {
			sink = sink[:0]
		}
	}
}

// tee writes each upload's query and parts to dir before sending it on.
type tee struct {
	dir  string
	n    atomic.Int64
	next http.RoundTripper
}

func (t *tee) RoundTrip(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	k := t.n.Add(1)
	base := filepath.Join(t.dir, fmt.Sprintf("upload-%04d", k))
	_ = os.WriteFile(base+".query", []byte(r.URL.RawQuery+"\n"), 0o644)
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		_ = os.WriteFile(base+"."+p.FormName(), b, 0o644)
	}
	sum := sha256.Sum256(body)
	_ = os.WriteFile(base+".sha256", []byte(fmt.Sprintf("%x\n", sum)), 0o644)
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		_ = os.WriteFile(base+".status", []byte(fmt.Sprintf("%d\n", resp.StatusCode)), 0o644)
	}
	return resp, err
}

// logger prints the SDK's errors, and with -v everything it says.
type logger struct{ verbose bool }

func (l logger) Infof(f string, a ...interface{}) {
	if l.verbose {
		log.Printf("pyroscope: "+f, a...)
	}
}
func (l logger) Debugf(f string, a ...interface{}) { l.Infof(f, a...) }
func (l logger) Errorf(f string, a ...interface{}) { log.Printf("pyroscope error: "+f, a...) }

func main() {
	server := flag.String("server", "http://127.0.0.1:4040", "hearth's address")
	token := flag.String("token", os.Getenv("HEARTH_TOKEN"), "a hearth token with the push scope")
	app := flag.String("app", "sdkpush", "the application name (hearth's service)")
	dur := flag.Duration("for", 12*time.Second, "how long to run; 0: until killed")
	rate := flag.Duration("rate", 3*time.Second, "the SDK's upload interval")
	dump := flag.String("dump", "", "a directory to write each upload to")
	verbose := flag.Bool("v", false, "print what the SDK says")
	flag.Parse()
	runtime.SetMutexProfileFraction(5)
	runtime.SetBlockProfileRate(5)

	cfg := pyroscope.Config{
		ApplicationName:   *app,
		ServerAddress:     *server,
		BasicAuthUser:     "hearth",
		BasicAuthPassword: *token,
		Tags:              map[string]string{"env": "test", "region": "eu-1"},
		UploadRate:        *rate,
		Logger:            logger{*verbose},
		ProfileTypes: []pyroscope.ProfileType{
			pyroscope.ProfileCPU,
			pyroscope.ProfileAllocObjects, pyroscope.ProfileAllocSpace,
			pyroscope.ProfileInuseObjects, pyroscope.ProfileInuseSpace,
			pyroscope.ProfileGoroutines,
			pyroscope.ProfileMutexCount, pyroscope.ProfileMutexDuration,
			pyroscope.ProfileBlockCount, pyroscope.ProfileBlockDuration,
		},
	}
	if *dump != "" {
		if err := os.MkdirAll(*dump, 0o755); err != nil {
			log.Fatal(err)
		}
		// Only then: a nil *http.Client in the Config's interface field
		// would be used, and panic, as a client.
		cfg.HTTPClient = &http.Client{Transport: &tee{dir: *dump, next: http.DefaultTransport}}
	}
	p, err := pyroscope.Start(cfg)
	if err != nil {
		log.Fatal(err)
	}
	deadline := time.Now().Add(*dur)
	var mu sync.Mutex
	var wg sync.WaitGroup
	stop := make(chan struct{})
	// Contention for the mutex and block profiles.
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				hearthSDKHotLoop(20000)
				mu.Unlock()
			}
		}()
	}
	var x uint64
	for *dur == 0 || time.Now().Before(deadline) {
		x += hearthSDKHotLoop(3000000)
		hearthSDKAllocate(200)
	}
	close(stop)
	wg.Wait()
	// Stop uploads what was collected since the last upload.
	if err := p.Stop(); err != nil {
		log.Fatal(err)
	}
	fmt.Println("done", x%2)
}
