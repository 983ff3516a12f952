// The reference for tests/cli/middledot.sh: names of addresses as Go's own
// debug/gosym reads them from a program's .gosymtab and .gopclntab (how
// pprof symbolized Go programs from before Go 1.3).  Prints one name a line
// for each address argument ("?" when none holds it).
package main

import (
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"strconv"
)

func main() {
	f, err := elf.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	st, err1 := f.Section(".gosymtab").Data()
	pc, err2 := f.Section(".gopclntab").Data()
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "no Go symbol tables")
		os.Exit(1)
	}
	t, err := gosym.NewTable(st, gosym.NewLineTable(pc, f.Section(".text").Addr))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, a := range os.Args[2:] {
		pc, _ := strconv.ParseUint(a, 0, 64)
		if fn := t.PCToFunc(pc); fn != nil {
			fmt.Println(fn.Name)
		} else {
			fmt.Println("?")
		}
	}
}
