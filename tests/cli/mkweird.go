// mkweird writes tests/data/reports/weird-names.pb.gz: a small CPU profile
// whose names need escaping in DOT (quotes, backslashes, angle brackets,
// bytes that are not UTF-8, a newline), for tests/cli/reports.sh.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run tests/cli/mkweird.go \
//		> tests/data/reports/weird-names.pb.gz
package main

import (
	"os"

	"github.com/google/pprof/profile"
)

func main() {
	p := &profile.Profile{
		SampleType: []*profile.ValueType{{Type: "cpu", Unit: "nanoseconds"}},
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10000000,
	}
	m := &profile.Mapping{ID: 1, Start: 0x1000, Limit: 0x100000, File: "/bin/we\"ird<app>"}
	p.Mapping = []*profile.Mapping{m}
	names := []string{"main.main", "main.(*T).say\"hi\"", "C:\\path\\fn", "ns::Vec<int>::push", "bad\xff\xfename", "pkg.Gen[...]", "x/y.\nnewline"}
	files := []string{"main.go", "we\"ird.go", "c:\\dir\\f.c", "vec<t>.h", "b\xffd.go", "gen.go", "nl.go"}
	var locs []*profile.Location
	for i, n := range names {
		f := &profile.Function{ID: uint64(i + 1), Name: n, SystemName: n, Filename: files[i]}
		p.Function = append(p.Function, f)
		l := &profile.Location{ID: uint64(i + 1), Mapping: m, Address: uint64(0x2000 + 16*i), Line: []profile.Line{{Function: f, Line: int64(10 + i)}}}
		p.Location = append(p.Location, l)
		locs = append(locs, l)
	}
	for i := 1; i < len(locs); i++ {
		p.Sample = append(p.Sample, &profile.Sample{
			Location: []*profile.Location{locs[i], locs[0]},
			Value:    []int64{int64(i) * 10000000},
			Label:    map[string][]string{"handler": {"a\"b\\c<d>"}},
			NumLabel: map[string][]int64{"bytes": {int64(i * 1024)}},
		})
	}
	if err := p.Write(os.Stdout); err != nil {
		panic(err)
	}
}
