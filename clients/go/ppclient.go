// Package ppclient pushes a Go program's own profiles to a hearth server
// (or any server that takes Pyroscope's /ingest): CPU for a few seconds
// every interval, heap, allocs, goroutine, mutex and block.  It uses the
// standard library only and works with Go 1.19 and newer.
//
//	ppclient.Start(ppclient.Config{Server: "http://hearth:4040", Token: token, Service: "api"})
//	defer ppclient.Stop()
//
// It is best effort: a server that is down or slow never blocks or crashes
// the program.  Profiles are collected on one goroutine and uploaded from
// another through a queue of bounded length; when the queue is full the
// oldest upload is dropped (and counted), so the memory the client holds
// is bounded by the queue, not by how long the server is away.
//
// Cumulative profiles (allocs, the heap's alloc_* values, mutex, block)
// are sent with the previous profile of the same type as prev_profile, so
// the server stores the difference, as godeltaprof's users expect; the
// first one of each is only kept as that base.
package ppclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ProfileType names a profile the client collects.
type ProfileType string

// The profile types; DefaultTypes lists those collected when Config.Types
// is empty.
const (
	CPU       ProfileType = "cpu"
	Heap      ProfileType = "heap"
	Allocs    ProfileType = "allocs"
	Goroutine ProfileType = "goroutine"
	Mutex     ProfileType = "mutex"
	Block     ProfileType = "block"
)

// DefaultTypes are collected when Config.Types is empty.
var DefaultTypes = []ProfileType{CPU, Heap, Allocs, Goroutine, Mutex, Block}

// Config says where to push and what.
type Config struct {
	// Server is the base URL: "http://hearth:4040".  Profiles go to its
	// /ingest (Pyroscope's HTTP ingest, which hearth serve implements).
	Server string
	// Token is sent as "Authorization: Bearer TOKEN" (hearth's tokens);
	// BasicAuthUser and BasicAuthPassword instead, when set (Pyroscope,
	// Grafana Cloud; hearth takes the token as the password too).
	Token                            string
	BasicAuthUser, BasicAuthPassword string
	// Service is the application's name (required).
	Service string
	// Labels are added to every profile: {"env": "prod"}.
	Labels map[string]string
	// CPUInterval is how often profiles are collected (default 1 minute,
	// as the seed's ppclient); CPUDuration how long the CPU profile runs
	// each time (default 10 s, at most CPUInterval).
	CPUInterval, CPUDuration time.Duration
	// Types to collect; empty: DefaultTypes.
	Types []ProfileType
	// MutexProfileFraction and BlockProfileRate, when > 0, are set with
	// runtime.SetMutexProfileFraction and runtime.SetBlockProfileRate at
	// Start (mutex and block profiles are empty until a program sets them).
	MutexProfileFraction, BlockProfileRate int
	// QueueLength bounds the uploads waiting for the server (default 16).
	QueueLength int
	// Timeout of one upload (default 10 s).
	Timeout time.Duration
	// Logf, when set, is told about failures.
	Logf func(format string, args ...interface{})
}

// Stats counts what the client did.
type Stats struct {
	Collected, Uploaded, Failed, Dropped uint64
}

// Profiler is a running client.
type Profiler struct {
	cfg      Config
	client   *http.Client
	queue    chan upload
	stop     chan struct{} // stops collecting
	stopUp   chan struct{} // stops uploading, once collecting stopped
	wg, wgUp sync.WaitGroup
	prev     map[ProfileType][]byte
	stopped  sync.Once
	ctx      context.Context
	cancel   context.CancelFunc

	collected, uploaded, failed, dropped uint64
}

type upload struct {
	typ        ProfileType
	profile    []byte
	prev       []byte
	from, till time.Time
}

var (
	global, last *Profiler
	globalMu     sync.Mutex
)

// GlobalStats are the counts of the package's profiler: the running one,
// else the last one stopped.
func GlobalStats() Stats {
	globalMu.Lock()
	p := global
	if p == nil {
		p = last
	}
	globalMu.Unlock()
	if p == nil {
		return Stats{}
	}
	return p.Stats()
}

// Start starts the package's profiler (see New); a second Start stops the
// first one.
func Start(c Config) error {
	p, err := New(c)
	if err != nil {
		return err
	}
	globalMu.Lock()
	old := global
	global = p
	globalMu.Unlock()
	if old != nil {
		old.Stop()
	}
	return nil
}

// Stop stops the package's profiler and waits for it (at most Timeout for
// an upload in flight; what is still queued is dropped).
func Stop() {
	globalMu.Lock()
	p := global
	global = nil
	if p != nil {
		last = p
	}
	globalMu.Unlock()
	if p != nil {
		p.Stop()
	}
}

// New checks c and starts collecting.
func New(c Config) (*Profiler, error) {
	if c.Service == "" {
		return nil, errors.New("ppclient: Config.Service is required")
	}
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ppclient: Config.Server %q is not an http(s) URL", c.Server)
	}
	c.Server = strings.TrimRight(c.Server, "/")
	if c.CPUInterval <= 0 {
		c.CPUInterval = time.Minute
	}
	if c.CPUDuration <= 0 {
		c.CPUDuration = 10 * time.Second
	}
	if c.CPUDuration > c.CPUInterval {
		c.CPUDuration = c.CPUInterval
	}
	if len(c.Types) == 0 {
		c.Types = DefaultTypes
	}
	for _, t := range c.Types {
		switch t {
		case CPU, Heap, Allocs, Goroutine, Mutex, Block:
		default:
			return nil, fmt.Errorf("ppclient: unknown profile type %q", t)
		}
	}
	for k := range c.Labels {
		if !labelName(k) {
			return nil, fmt.Errorf("ppclient: label name %q: letters, digits and _ only", k)
		}
	}
	if c.QueueLength <= 0 {
		c.QueueLength = 16
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MutexProfileFraction > 0 {
		runtime.SetMutexProfileFraction(c.MutexProfileFraction)
	}
	if c.BlockProfileRate > 0 {
		runtime.SetBlockProfileRate(c.BlockProfileRate)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Profiler{
		cfg:    c,
		client: &http.Client{Timeout: c.Timeout},
		queue:  make(chan upload, c.QueueLength),
		stop:   make(chan struct{}),
		stopUp: make(chan struct{}),
		prev:   map[ProfileType][]byte{},
		ctx:    ctx,
		cancel: cancel,
	}
	p.wg.Add(1)
	p.wgUp.Add(1)
	go p.collectLoop()
	go p.uploadLoop()
	return p, nil
}

// Stop stops collecting and uploading and waits for both goroutines.
func (p *Profiler) Stop() {
	p.stopped.Do(func() {
		// The collector first, so that nothing is queued after the
		// uploader's last look at the queue.
		close(p.stop)
		p.wg.Wait()
		close(p.stopUp)
		p.cancel()
		p.wgUp.Wait()
	})
}

// Stats says what the client did so far.
func (p *Profiler) Stats() Stats {
	return Stats{
		Collected: atomic.LoadUint64(&p.collected),
		Uploaded:  atomic.LoadUint64(&p.uploaded),
		Failed:    atomic.LoadUint64(&p.failed),
		Dropped:   atomic.LoadUint64(&p.dropped),
	}
}

func labelName(s string) bool {
	if s == "" || len(s) > 128 || s == "service" || strings.HasPrefix(s, "__") {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (p *Profiler) logf(format string, args ...interface{}) {
	if p.cfg.Logf != nil {
		p.cfg.Logf(format, args...)
	}
}

func (p *Profiler) collectLoop() {
	defer p.wg.Done()
	for {
		start := time.Now()
		p.collect()
		wait := p.cfg.CPUInterval - time.Since(start)
		if wait < 0 {
			wait = 0
		}
		select {
		case <-p.stop:
			return
		case <-time.After(wait):
		}
	}
}

func (p *Profiler) has(t ProfileType) bool {
	for _, x := range p.cfg.Types {
		if x == t {
			return true
		}
	}
	return false
}

// collect takes one round: CPU for CPUDuration (cut short by Stop), then
// the others.
func (p *Profiler) collect() {
	if p.has(CPU) {
		var buf bytes.Buffer
		from := time.Now()
		if err := pprof.StartCPUProfile(&buf); err != nil {
			// The program profiles itself right now: skip this round.
			p.logf("ppclient: cpu: %v", err)
		} else {
			select {
			case <-p.stop:
			case <-time.After(p.cfg.CPUDuration):
			}
			pprof.StopCPUProfile()
			p.enqueue(upload{typ: CPU, profile: buf.Bytes(), from: from, till: time.Now()})
		}
	}
	for _, t := range []ProfileType{Heap, Allocs, Goroutine, Mutex, Block} {
		if !p.has(t) {
			continue
		}
		select {
		case <-p.stop:
			return
		default:
		}
		var buf bytes.Buffer
		if err := pprof.Lookup(string(t)).WriteTo(&buf, 0); err != nil {
			p.logf("ppclient: %s: %v", t, err)
			continue
		}
		now := time.Now()
		u := upload{typ: t, profile: buf.Bytes(), from: now, till: now}
		if t != Goroutine {
			// Cumulative: the first one is the base of the next.
			prev, ok := p.prev[t]
			p.prev[t] = u.profile
			if !ok {
				continue
			}
			u.prev = prev
		}
		p.enqueue(u)
	}
}

// enqueue never blocks: a full queue loses its oldest upload.
func (p *Profiler) enqueue(u upload) {
	atomic.AddUint64(&p.collected, 1)
	for {
		select {
		case p.queue <- u:
			return
		default:
		}
		select {
		case <-p.queue:
			atomic.AddUint64(&p.dropped, 1)
		default:
		}
	}
}

func (p *Profiler) uploadLoop() {
	defer p.wgUp.Done()
	for {
		select {
		case <-p.stopUp:
			// What is still queued is not sent: Stop does not wait for
			// a server.
			for {
				select {
				case <-p.queue:
					atomic.AddUint64(&p.dropped, 1)
				default:
					return
				}
			}
		case u := <-p.queue:
			if err := p.send(u); err != nil {
				atomic.AddUint64(&p.failed, 1)
				p.logf("ppclient: upload %s: %v", u.typ, err)
			} else {
				atomic.AddUint64(&p.uploaded, 1)
			}
		}
	}
}

// sampleTypeConfig says, per sample type, what Pyroscope's ingest needs:
// which values are cumulative (subtracted from prev_profile), and the
// display names that tell a mutex profile from a block profile.
func sampleTypeConfig(t ProfileType) string {
	switch t {
	case Heap, Allocs:
		return `{"alloc_objects":{"units":"objects","cumulative":true},` +
			`"alloc_space":{"units":"bytes","cumulative":true},` +
			`"inuse_objects":{"units":"objects","aggregation":"average"},` +
			`"inuse_space":{"units":"bytes","aggregation":"average"}}`
	case Mutex:
		return `{"contentions":{"units":"lock_samples","display-name":"mutex_count","cumulative":true},` +
			`"delay":{"units":"lock_nanoseconds","display-name":"mutex_duration","cumulative":true}}`
	case Block:
		return `{"contentions":{"units":"lock_samples","display-name":"block_count","cumulative":true},` +
			`"delay":{"units":"lock_nanoseconds","display-name":"block_duration","cumulative":true}}`
	case Goroutine:
		return `{"goroutine":{"units":"goroutines","display-name":"goroutine","aggregation":"average"}}`
	}
	return ""
}

// name is Pyroscope's "app{k=v,...}" with the labels sorted.
func (p *Profiler) name() string {
	keys := make([]string, 0, len(p.cfg.Labels))
	for k := range p.cfg.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(p.cfg.Service)
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		v := strings.NewReplacer(",", "_", "}", "_", "=", "_").Replace(p.cfg.Labels[k])
		fmt.Fprintf(&b, "%s=%s", k, v)
	}
	b.WriteByte('}')
	return b.String()
}

func (p *Profiler) send(u upload) error {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part := func(field string, data []byte) error {
		w, err := mw.CreateFormFile(field, field)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	if err := part("profile", u.profile); err != nil {
		return err
	}
	if u.prev != nil {
		if err := part("prev_profile", u.prev); err != nil {
			return err
		}
	}
	if c := sampleTypeConfig(u.typ); c != "" {
		if err := part("sample_type_config", []byte(c)); err != nil {
			return err
		}
	}
	if err := mw.Close(); err != nil {
		return err
	}
	q := url.Values{}
	q.Set("name", p.name())
	q.Set("from", fmt.Sprint(u.from.UnixNano()))
	q.Set("until", fmt.Sprint(u.till.UnixNano()))
	q.Set("format", "pprof")
	q.Set("spyName", "hearth-go")
	if u.typ == CPU {
		q.Set("units", "samples")
		q.Set("sampleRate", "100")
	}
	req, err := http.NewRequestWithContext(p.ctx, "POST", p.cfg.Server+"/ingest?"+q.Encode(), &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if p.cfg.BasicAuthUser != "" || p.cfg.BasicAuthPassword != "" {
		req.SetBasicAuth(p.cfg.BasicAuthUser, p.cfg.BasicAuthPassword)
	} else if p.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+p.cfg.Token)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}
