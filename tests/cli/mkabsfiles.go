// mkabsfiles writes tests/data/reports/abs-files.pb.gz: a small CPU profile
// whose functions name files of the machine that reads it, /etc/passwd and
// (relative, found by walking up from any working directory) etc/passwd,
// for serve_check.py: hearth serve must not show them.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go run tests/cli/mkabsfiles.go \
//		> tests/data/reports/abs-files.pb.gz
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
		TimeNanos:  1700000000000000000,
	}
	for i, file := range []string{"/etc/passwd", "../../../../../../../../etc/passwd", "etc/passwd"} {
		id := uint64(i + 1)
		f := &profile.Function{ID: id, Name: "main.reads" + string(rune('A'+i)), SystemName: "main.reads", Filename: file}
		l := &profile.Location{ID: id, Address: 0x1000 + 16*id, Line: []profile.Line{{Function: f, Line: 1}}}
		p.Function = append(p.Function, f)
		p.Location = append(p.Location, l)
		p.Sample = append(p.Sample, &profile.Sample{Location: []*profile.Location{l}, Value: []int64{10000000}})
	}
	if err := p.Write(os.Stdout); err != nil {
		panic(err)
	}
}
