// scrapestub: many net/http/pprof targets for bench/scrape.sh.  It serves
// recorded profiles (DIR/TYPE/000001.pb.gz and DIR/memstats/000001.txt, as
// hearth scrape -save writes them) on ADDR at each PORT; every 127.x.y.z
// address reaches it, so PORTS x addresses make a fleet.  The CPU profile
// answers after its seconds=, as a real program does.
//
//	scrapestub DIR ADDR PORT...
package main

import (
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 4 {
		log.Fatal("usage: scrapestub DIR ADDR PORT...")
	}
	dir := os.Args[1]
	files := map[string][]byte{}
	for _, t := range []string{"cpu", "heap", "allocs", "goroutine", "block", "mutex", "threadcreate"} {
		b, err := os.ReadFile(dir + "/" + t + "/000001.pb.gz")
		if err != nil {
			log.Fatal(err)
		}
		files[t] = b
	}
	ms, err := os.ReadFile(dir + "/memstats/000001.txt")
	if err != nil {
		log.Fatal(err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/debug/pprof/")
		if name == "profile" {
			s, _ := strconv.Atoi(r.URL.Query().Get("seconds"))
			time.Sleep(time.Duration(s) * time.Second)
			name = "cpu"
		}
		if name == "heap" && r.URL.Query().Get("debug") == "1" {
			w.Write(ms)
			return
		}
		b, ok := files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
	for _, p := range os.Args[3:] {
		go func(p string) { log.Fatal(http.ListenAndServe(os.Args[2]+":"+p, h)) }(p)
	}
	select {}
}
