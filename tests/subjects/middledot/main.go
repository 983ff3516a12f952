// A Go program with a function whose name has U+00B7 in the program's own
// tables (its pclntab; the linker writes a dot in the ELF symbol), as Go
// before 1.3 named methods: main.*LSG·NewLoop.  It allocates there and
// writes its heap profile, in the format asked (1: the legacy text, 0:
// protobuf), to the file named by its first argument.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	_ "unsafe"
)

var sink [][]byte

//go:linkname newLoop main.*LSG·NewLoop
//go:noinline
func newLoop(n int) {
	for i := 0; i < n; i++ {
		sink = append(sink, make([]byte, 1<<16))
	}
}

func main() {
	runtime.MemProfileRate = 1
	newLoop(500)
	debug, _ := strconv.Atoi(os.Args[2])
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	pprof.Lookup("heap").WriteTo(f, debug)
	f.Close()
	fmt.Println(len(sink))
}
