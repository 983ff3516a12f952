// goclient: a Go program that pushes its own profiles with hearth's
// clients/go (ppclient), for tests/cli/goclient.sh.  It serves /work
// (CPU, allocations and a contended lock), writes its address to
// -addr_file, and on SIGTERM stops the client and prints the client's
// counts as one line: "stats collected=N uploaded=N failed=N dropped=N".
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"hearth.local/ppclient"
)

var (
	sink []byte
	mu   sync.Mutex
)

//go:noinline
func burn() uint64 {
	x := uint64(1)
	for i := 0; i < 2000000; i++ {
		x = x*6364136223846793005 + 1442695040888963407
	}
	return x
}

//go:noinline
func allocate() {
	b := make([]byte, 64<<10)
	b[0] = 1
	mu.Lock()
	sink = b
	time.Sleep(100 * time.Microsecond)
	mu.Unlock()
}

func main() {
	server := flag.String("server", "", "hearth server URL")
	token := flag.String("token", "", "token")
	service := flag.String("service", "goclient", "service name")
	interval := flag.Duration("interval", time.Second, "CPU interval")
	duration := flag.Duration("duration", 500*time.Millisecond, "CPU duration")
	addrFile := flag.String("addr_file", "", "write the listening address here")
	noClient := flag.Bool("noclient", false, "run without the client (overhead baseline)")
	// 0 for the four below: the client's defaults (bench/goclient.sh).
	mutexFraction := flag.Int("mutex_fraction", 5, "runtime.SetMutexProfileFraction through the client")
	blockRate := flag.Int("block_rate", 10000, "runtime.SetBlockProfileRate through the client")
	flag.Parse()

	var err error
	if !*noClient {
		err = ppclient.Start(ppclient.Config{
			Server: *server, Token: *token, Service: *service,
			Labels:      map[string]string{"env": "test", "go": "v"},
			CPUInterval: *interval, CPUDuration: *duration,
			MutexProfileFraction: *mutexFraction, BlockProfileRate: *blockRate,
		})
	}
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		allocate()
		fmt.Fprintln(w, burn())
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		os.WriteFile(*addrFile+".tmp", []byte(ln.Addr().String()), 0o644)
		os.Rename(*addrFile+".tmp", *addrFile)
	}
	go http.Serve(ln, nil)
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGINT)
	<-c
	// Stop waits for the upload in flight (at most the client's timeout).
	ppclient.Stop()
	st := ppclient.GlobalStats()
	fmt.Printf("stats collected=%d uploaded=%d failed=%d dropped=%d\n", st.Collected, st.Uploaded, st.Failed, st.Dropped)
}
