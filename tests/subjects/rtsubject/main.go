// rtsubject is the Go program hearth's runtime tests run: under GODEBUG it
// writes gctrace/schedtrace lines, with -trace it writes an execution trace.
// Its goroutines allocate, block on channels, a mutex, a condition
// variable, the network (a loopback TCP echo), syscalls (file reads and
// writes, sleeps) and select, for a few hundred milliseconds.  On its last
// line (stdout) it prints the runtime's own figures, for the tests to hold
// hearth's numbers against.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"
)

// counted counts what the tracer has written, for -trace_mb.
type counted struct {
	w io.Writer
	n atomic.Int64
}

func (c *counted) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

var sink [][]byte

func allocator(stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		b := make([]byte, 64<<10)
		sink = append(sink, b)
		if len(sink) > 64 {
			sink = sink[:0]
		}
		if i%200 == 0 {
			// The program's own lines, some of them looking almost
			// like the runtime's.
			fmt.Fprintf(os.Stderr, "worker: step %d, gc soon\n", i)
		}
	}
}

func chanPingPong(n int, wg *sync.WaitGroup) {
	defer wg.Done()
	a, b := make(chan int), make(chan int)
	go func() {
		for v := range a {
			time.Sleep(50 * time.Microsecond)
			b <- v
		}
		close(b)
	}()
	for i := 0; i < n; i++ {
		a <- i
		<-b
	}
	close(a)
}

func mutexContention(n int, wg *sync.WaitGroup) {
	defer wg.Done()
	var mu sync.Mutex
	var inner sync.WaitGroup
	for g := 0; g < 4; g++ {
		inner.Add(1)
		go func() {
			defer inner.Done()
			for i := 0; i < n; i++ {
				mu.Lock()
				time.Sleep(20 * time.Microsecond)
				mu.Unlock()
			}
		}()
	}
	inner.Wait()
}

func condWait(n int, wg *sync.WaitGroup) {
	defer wg.Done()
	var mu sync.Mutex
	c := sync.NewCond(&mu)
	ready := 0
	done := make(chan bool)
	go func() {
		for i := 0; i < n; i++ {
			mu.Lock()
			for ready == 0 {
				c.Wait()
			}
			ready--
			mu.Unlock()
		}
		done <- true
	}()
	for i := 0; i < n; i++ {
		time.Sleep(100 * time.Microsecond)
		mu.Lock()
		ready++
		c.Signal()
		mu.Unlock()
	}
	<-done
}

func network(n int, wg *sync.WaitGroup) {
	defer wg.Done()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		return
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		return
	}
	buf := make([]byte, 512)
	for i := 0; i < n; i++ {
		c.Write(buf)
		io.ReadFull(c, buf)
		time.Sleep(100 * time.Microsecond)
	}
	c.Close()
}

func syscalls(n int, wg *sync.WaitGroup) {
	defer wg.Done()
	f, err := os.CreateTemp("", "rtsubject")
	if err != nil {
		return
	}
	defer os.Remove(f.Name())
	buf := make([]byte, 256<<10)
	for i := 0; i < n; i++ {
		f.WriteAt(buf, 0)
		f.Sync()
		f.ReadAt(buf, 0)
	}
	f.Close()
}

func selecter(n int, wg *sync.WaitGroup) {
	defer wg.Done()
	a, b := make(chan int), make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			time.Sleep(80 * time.Microsecond)
			if i%2 == 0 {
				a <- i
			} else {
				b <- i
			}
		}
	}()
	for i := 0; i < n; i++ {
		select {
		case <-a:
		case <-b:
		}
	}
}

func main() {
	dur := flag.Duration("d", 400*time.Millisecond, "how long the allocators run")
	traceOut := flag.String("trace", "", "write an execution trace here")
	parked := flag.Int("parked", 8, "goroutines parked on a channel for the whole run")
	scale := flag.Int("n", 300, "iterations of each blocking pattern")
	traceMB := flag.Int64("trace_mb", 0, "with -trace: run on after -d until the trace holds this many MB (at most 10 minutes)")
	flag.Parse()
	var traced *counted
	if *traceOut != "" {
		f, err := os.Create(*traceOut)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		traced = &counted{w: f}
		if err := trace.Start(traced); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		defer trace.Stop()
	}
	block := make(chan struct{})
	for i := 0; i < *parked; i++ {
		go func() { <-block }()
	}
	stop := make(chan struct{})
	var wg, bg sync.WaitGroup
	bg.Add(2)
	go allocator(stop, &bg)
	go allocator(stop, &bg)
	wg.Add(6)
	go chanPingPong(*scale, &wg)
	go mutexContention(*scale/4, &wg)
	go condWait(*scale, &wg)
	go network(*scale, &wg)
	go syscalls(*scale/10, &wg)
	go selecter(*scale, &wg)
	runtime.GC()
	time.Sleep(*dur / 2)
	runtime.GC()
	debug.FreeOSMemory()
	time.Sleep(*dur / 2)
	// A trace of a given size for the benchmarks, whatever the machine's
	// speed (the tracer writes as the program runs).
	for t0 := time.Now(); traced != nil && traced.n.Load() < *traceMB<<20 && time.Since(t0) < 10*time.Minute; {
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	bg.Wait()
	wg.Wait()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	close(block)
	// The collector wakes runtime.GC's caller before it prints the cycle's
	// gctrace line; give the line time to come out before the exit.
	time.Sleep(100 * time.Millisecond)
	fmt.Printf("SUBJECT numgc=%d forced=%d gomaxprocs=%d version=%s\n",
		ms.NumGC, ms.NumForcedGC, runtime.GOMAXPROCS(0), runtime.Version())
}
