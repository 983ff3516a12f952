// hotloop is the subject of tests/cli/symbolize.sh: a CPU-hot function whose
// small helpers the compiler inlines, and allocations made through inlined
// calls.  It writes its heap profile as Go's legacy text (heap?debug=1,
// addresses only) and a CPU profile in profile.proto.
//
//	hotloop HEAP.txt CPU.pb.gz [SECONDS]
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"time"
)

var sink [][]byte

// mix and step are small enough to be inlined into spin.
func mix(x uint64) uint64 { return x*6364136223846793005 + 1442695040888963407 }

func step(x uint64) uint64 { return mix(x) ^ (x >> 17) }

func spin(d time.Duration) uint64 {
	var x uint64 = 1
	for end := time.Now().Add(d); time.Now().Before(end); {
		for i := 0; i < 100000; i++ {
			x = step(x)
		}
	}
	return x
}

// grow is inlined into keep: its allocation's innermost line is here.
func grow(n int) []byte { return make([]byte, n) }

//go:noinline
func keep(n int) { sink = append(sink, grow(n)) }

//go:noinline
func keepMore(n int) {
	for i := 0; i < 4; i++ {
		keep(n)
	}
}

func main() {
	runtime.MemProfileRate = 1
	secs := 1
	if len(os.Args) > 3 {
		secs, _ = strconv.Atoi(os.Args[3])
	}
	cpu, err := os.Create(os.Args[2])
	if err != nil {
		panic(err)
	}
	pprof.StartCPUProfile(cpu)
	x := spin(time.Duration(secs) * time.Second)
	pprof.StopCPUProfile()
	cpu.Close()
	for i := 0; i < 64; i++ {
		keep(1 << 16)
		keepMore(1 << 12)
	}
	runtime.GC()
	heap, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	pprof.Lookup("heap").WriteTo(heap, 1)
	heap.Close()
	if x == 42 {
		println()
	}
}
