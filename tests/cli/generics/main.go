// A Go program whose profiles have generic instantiations ([...]),
// closures (funcN) and pointer-receiver methods ((*T)) in their hot paths,
// for tests/cli/sandwich.sh.  Writes a CPU profile and a heap profile.
//
//	go run . CPU.pb.gz HEAP.pb.gz
package main

import (
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"time"
)

type Number interface{ ~int | ~int64 | ~float64 }

//go:noinline
func Sum[T Number](xs []T) T {
	var s T
	for _, x := range xs {
		s += x * x
	}
	return s
}

type Stack[T any] struct{ items []T }

//go:noinline
func (s *Stack[T]) Push(x T) { s.items = append(s.items, x) }

type worker struct{ buf []int64 }

//go:noinline
func (w *worker) crunch(n int) int64 {
	for i := range w.buf {
		w.buf[i] = int64(i * n)
	}
	return Sum(w.buf)
}

var sink any

func main() {
	runtime.MemProfileRate = 512
	cpu, _ := os.Create(os.Args[1])
	pprof.StartCPUProfile(cpu)
	w := &worker{buf: make([]int64, 4096)}
	fs := make([]float64, 16384)
	var st Stack[[]byte]
	end := time.Now().Add(1500 * time.Millisecond)
	var acc int64
	for n := 0; time.Now().Before(end); n++ {
		acc += w.crunch(n)
		func() {
			for i := range fs {
				fs[i] = float64(i ^ n)
			}
			acc += int64(Sum(fs))
		}()
		if n%16 == 0 {
			sort.Slice(fs, func(i, j int) bool { return fs[i] < fs[j] })
		}
		if n%64 == 0 {
			st.Push(make([]byte, 1024))
		}
	}
	pprof.StopCPUProfile()
	cpu.Close()
	sink = st
	runtime.GC()
	heap, _ := os.Create(os.Args[2])
	pprof.Lookup("heap").WriteTo(heap, 0)
	heap.Close()
	if acc == 42 {
		println()
	}
}
