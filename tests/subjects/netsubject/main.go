// netsubject: a small net/http/pprof server for hearth's network tests.
// Its profiles have known leaders: hotLoop burns CPU, leakMemory keeps
// what it allocates, keepRecent allocates on every /work request but keeps
// only the last few buffers (alloc_space far above inuse_space),
// contendLock fights over one mutex, and parkGoroutines parks a known
// number of goroutines.  /count reports the program's own goroutine count;
// /quiesce and /resume hold the heap profile still (see there);
// /maxinflight tells (and resets) the most /debug/pprof/ requests served at
// once, which shows whether a client fetches profiles concurrently.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	sink   uint64
	leaked [][]byte
	leakMu sync.Mutex
	hot    sync.Mutex

	recent   [4][]byte
	recentN  int
	recentMu sync.Mutex
)

//go:noinline
func hotLoop() {
	x := uint64(1)
	for i := 0; i < 20000000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink += x
}

//go:noinline
func leakMemory() {
	b := make([]byte, 1<<20)
	for i := range b {
		b[i] = byte(i)
	}
	leakMu.Lock()
	leaked = append(leaked, b)
	leakMu.Unlock()
}

//go:noinline
func keepRecent() {
	b := make([]byte, 2<<20)
	b[0] = 1
	recentMu.Lock()
	recent[recentN%len(recent)] = b
	recentN++
	recentMu.Unlock()
}

//go:noinline
func contendLock() {
	hot.Lock()
	time.Sleep(2 * time.Millisecond)
	hot.Unlock()
}

var inflight, maxInflight int64

// trackInflight counts the /debug/pprof/ requests being served and keeps
// the largest count seen.
func trackInflight(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/debug/pprof/") {
			n := atomic.AddInt64(&inflight, 1)
			defer atomic.AddInt64(&inflight, -1)
			for {
				m := atomic.LoadInt64(&maxInflight)
				if n <= m || atomic.CompareAndSwapInt64(&maxInflight, m, n) {
					break
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

//go:noinline
func parkGoroutines(n int, stop chan struct{}) {
	for i := 0; i < n; i++ {
		go func() { <-stop }()
	}
}

func main() {
	addrFile := flag.String("addr_file", "", "write the listening address here")
	parked := flag.Int("parked", 50, "goroutines to park")
	flag.Parse()
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)

	stop := make(chan struct{})
	parkGoroutines(*parked, stop)
	for i := 0; i < 4; i++ {
		go func() {
			for {
				contendLock()
			}
		}()
	}
	for i := 0; i < 64; i++ {
		leakMemory()
	}

	http.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		hotLoop()
		keepRecent()
		fmt.Fprintln(w, "ok")
	})
	// The heap profile only changes when a garbage collection publishes
	// the allocations and frees since the last one.  /quiesce switches
	// the collector off and then runs one collection, which publishes
	// everything so far; until /resume no further collection can run, so
	// every heap profile taken meanwhile (debug=1 text or proto) is made
	// from the same records.
	http.HandleFunc("/quiesce", func(w http.ResponseWriter, r *http.Request) {
		debug.SetGCPercent(-1)
		runtime.GC()
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/maxinflight", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, atomic.SwapInt64(&maxInflight, 0))
	})
	http.HandleFunc("/resume", func(w http.ResponseWriter, r *http.Request) {
		debug.SetGCPercent(100)
		fmt.Fprintln(w, "ok")
	})
	http.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, runtime.NumGoroutine())
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		os.WriteFile(*addrFile+".tmp", []byte(ln.Addr().String()), 0644)
		os.Rename(*addrFile+".tmp", *addrFile)
	}
	log.Fatal(http.Serve(ln, trackInflight(http.DefaultServeMux)))
}
