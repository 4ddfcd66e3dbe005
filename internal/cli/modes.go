package cli

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/resp"
)

// latencyMode is redis-cli's latencyMode: PING every 10 ms; on a tty the
// line is redrawn forever, otherwise one summary after the interval.
func (s *session) latencyMode() {
	historyInterval := int64(15000)
	if s.cfg.Interval > 0 {
		historyInterval = int64(s.cfg.Interval * 1000)
	}
	interval := int64(1000)
	if s.cfg.Interval > 0 {
		interval = int64(s.cfg.Interval * 1000)
	}
	var min, max, tot, count int64
	var avg float64
	historyStart := time.Now()
	for {
		start := time.Now()
		if _, err := s.conn.Do("PING"); err != nil {
			s.stderr("\nI/O error\n")
			s.fail(1)
		}
		lat := time.Since(start).Milliseconds()
		count++
		if count == 1 {
			min, max, tot = lat, lat, lat
			avg = float64(lat)
		} else {
			if lat < min {
				min = lat
			}
			if lat > max {
				max = lat
			}
			tot += lat
			avg = float64(tot) / float64(count)
		}
		if s.cfg.Output == OutputStandard {
			s.out.WriteString("\x1b[0G\x1b[2K")
			s.latencyPrint(min, max, avg, count)
		} else if s.cfg.LatencyHistory {
			s.latencyPrint(min, max, avg, count)
		} else if time.Since(historyStart).Milliseconds() > interval {
			s.latencyPrint(min, max, avg, count)
			s.fail(0)
		}
		if s.cfg.LatencyHistory && time.Since(historyStart).Milliseconds() > historyInterval {
			fmt.Fprintf(s.out, " -- %.2f seconds range\n", float32(time.Since(historyStart).Milliseconds())/1000)
			historyStart = time.Now()
			min, max, tot, count = 0, 0, 0, 0
		}
		s.out.Flush()
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *session) latencyPrint(min, max int64, avg float64, count int64) {
	switch s.cfg.Output {
	case OutputStandard:
		fmt.Fprintf(s.out, "min: %d, max: %d, avg: %.2f (%d samples)", min, max, avg, count)
	case OutputCSV:
		fmt.Fprintf(s.out, "%d,%d,%.2f,%d\n", min, max, avg, count)
	case OutputRaw:
		fmt.Fprintf(s.out, "%d %d %.2f %d\n", min, max, avg, count)
	case OutputJSON:
		fmt.Fprintf(s.out, "{\"min\": %d, \"max\": %d, \"avg\": %.2f, \"count\": %d}\n", min, max, avg, count)
	}
	s.out.Flush()
}

// pipeMode is redis-cli's --pipe: stream stdin to the server while reading
// replies, then send an ECHO of a random 20-byte mark and wait for it.
func (s *session) pipeMode() int {
	var mark [20]byte
	rand.Read(mark[:])
	var errors, replies atomic.Int64
	lastRead := atomic.Int64{}
	lastRead.Store(time.Now().Unix())
	eof := atomic.Bool{}
	done := make(chan error, 1)
	var outMu sync.Mutex // the reply reader and the stdin copier both print
	errf := func(format string, a ...any) {
		outMu.Lock()
		s.stderr(format, a...) // flushes s.out, which the other goroutine writes
		outMu.Unlock()
	}
	nc := s.conn.NetConn()
	go func() {
		for {
			v, err := s.conn.Receive()
			if err != nil {
				done <- err
				return
			}
			lastRead.Store(time.Now().Unix())
			if v.IsError() {
				errf("%s\n", v.Str)
				errors.Add(1)
			} else if eof.Load() && v.Kind == resp.KindBulk && len(v.Str) == 20 && string(v.Str) == string(mark[:]) {
				outMu.Lock()
				s.out.WriteString("Last reply received from server.\n")
				s.out.Flush()
				outMu.Unlock()
				done <- nil
				return
			}
			replies.Add(1)
		}
	}()
	go func() {
		buf := make([]byte, 16<<10)
		for {
			n, err := os.Stdin.Read(buf)
			if n > 0 {
				if _, werr := nc.Write(buf[:n]); werr != nil {
					errf("Error writing to the server: %s\n", ioErrText(werr))
					done <- werr
					return
				}
			}
			if err == io.EOF {
				echo := append([]byte("\r\n*2\r\n$4\r\nECHO\r\n$20\r\n"), mark[:]...)
				echo = append(echo, "\r\n"...)
				eof.Store(true)
				outMu.Lock()
				s.out.WriteString("All data transferred. Waiting for the last reply...\n")
				s.out.Flush()
				outMu.Unlock()
				nc.Write(echo)
				return
			}
			if err != nil {
				errf("Error reading from stdin: %s\n", err)
				done <- err
				return
			}
		}
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			if err != nil {
				if eof.Load() || true {
					errf("Error reading replies from server\n")
				}
				return 1
			}
			fmt.Fprintf(s.out, "errors: %d, replies: %d\n", errors.Load(), replies.Load())
			if errors.Load() > 0 {
				return 1
			}
			return 0
		case <-tick.C:
			if eof.Load() && s.cfg.PipeTimeout > 0 && time.Now().Unix()-lastRead.Load() > int64(s.cfg.PipeTimeout) {
				errf("No replies for %d seconds: exiting.\n", s.cfg.PipeTimeout)
				errors.Add(1)
				fmt.Fprintf(s.out, "errors: %d, replies: %d\n", errors.Load(), replies.Load())
				return 1
			}
		}
	}
}

// sendScan is redis-cli's sendScan.
func (s *session) sendScan(cursor string) (string, []client.Value) {
	var v client.Value
	var err error
	if s.cfg.Pattern != nil {
		v, err = s.conn.Do("SCAN", cursor, "MATCH", *s.cfg.Pattern)
	} else {
		v, err = s.conn.Do("SCAN", cursor)
	}
	switch {
	case err != nil:
		s.stderr("\nI/O error\n")
		s.fail(1)
	case v.IsError():
		s.stderr("SCAN error: %s\n", v.Str)
		s.fail(1)
	case v.Kind != resp.KindArray:
		s.stderr("Non ARRAY response from SCAN!\n")
		s.fail(1)
	case len(v.Elems) != 2:
		s.stderr("Invalid element count from SCAN!\n")
		s.fail(1)
	}
	return string(v.Elems[0].Str), v.Elems[1].Elems
}

var cancelLoop atomic.Bool

func catchInterrupt() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt)
	go func() {
		<-ch
		cancelLoop.Store(true)
	}()
}

func (s *session) scanMode() int {
	catchInterrupt()
	cur := "0"
	for {
		var keys []client.Value
		cur, keys = s.sendScan(cur)
		for _, k := range keys {
			if s.cfg.Output == OutputStandard {
				s.out.WriteString(Repr(k.Str) + "\n")
			} else {
				s.out.Write(cStr(k.Str))
				s.out.WriteByte('\n')
			}
		}
		s.out.Flush()
		if s.cfg.Interval > 0 {
			time.Sleep(time.Duration(s.cfg.Interval * float64(time.Second)))
		}
		if cancelLoop.Load() || cur == "0" {
			return 0
		}
	}
}

// cStr is what printf("%s") shows of a binary string: up to the first NUL.
func cStr(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

type typeInfo struct {
	name, sizeCmd, unit string
	biggest, count      uint64
	total               uint64
	biggestKey          string
	hasBiggest          bool
}

// bigKeysTypeOrder is the order redis-cli's type dictionary iterates in
// for the six built-in types (seen with redis-cli 7.0.15).
var bigKeysTypeOrder = []string{"list", "hash", "string", "stream", "set", "zset"}

func (s *session) findBigKeys(memkeys bool, samples int) int {
	types := map[string]*typeInfo{
		"string": {name: "string", sizeCmd: "STRLEN", unit: "bytes"},
		"list":   {name: "list", sizeCmd: "LLEN", unit: "items"},
		"set":    {name: "set", sizeCmd: "SCARD", unit: "members"},
		"hash":   {name: "hash", sizeCmd: "HLEN", unit: "fields"},
		"zset":   {name: "zset", sizeCmd: "ZCARD", unit: "members"},
		"stream": {name: "stream", sizeCmd: "XLEN", unit: "entries"},
	}
	order := append([]string(nil), bigKeysTypeOrder...)
	catchInterrupt()
	totalKeys := s.dbSize()
	s.scanBanner("biggest keys")
	var sampled, totlen, loops uint64
	var pct float64
	cur := "0"
	unit := func(t *typeInfo) string {
		if memkeys {
			return "bytes"
		}
		return t.unit
	}
	for {
		pct = 100 * float64(sampled) / float64(totalKeys)
		var keys []client.Value
		cur, keys = s.sendScan(cur)
		loops++
		kt := make([]*typeInfo, len(keys))
		for _, k := range keys {
			s.conn.SendBytes([][]byte{[]byte("TYPE"), k.Str})
		}
		s.conn.Flush()
		for i, k := range keys {
			r, err := s.conn.Receive()
			if err != nil {
				s.stderr("Error getting type for key '%s' (%d: %s)\n", cStr(k.Str), 1, ioErrText(err))
				return 1
			}
			if r.Kind != resp.KindSimple {
				if r.IsError() {
					s.stderr("TYPE returned an error: %s\n", r.Str)
				} else {
					s.stderr("Invalid reply type (%d) for TYPE on key '%s'!\n", r.Kind, cStr(k.Str))
				}
				return 1
			}
			name := string(r.Str)
			t := types[name]
			if t == nil && name != "none" {
				t = &typeInfo{name: name, unit: "?"}
				types[name] = t
				order = append(order, name)
			}
			kt[i] = t
		}
		sizes := make([]uint64, len(keys))
		for i, k := range keys {
			t := kt[i]
			if t == nil || (t.sizeCmd == "" && !memkeys) {
				continue
			}
			switch {
			case !memkeys:
				s.conn.SendBytes([][]byte{[]byte(t.sizeCmd), k.Str})
			case samples == 0:
				s.conn.SendBytes([][]byte{[]byte("MEMORY"), []byte("USAGE"), k.Str})
			default:
				s.conn.SendBytes([][]byte{[]byte("MEMORY"), []byte("USAGE"), k.Str, []byte("SAMPLES"), []byte(strconv.Itoa(samples))})
			}
		}
		s.conn.Flush()
		for i, k := range keys {
			t := kt[i]
			if t == nil || (t.sizeCmd == "" && !memkeys) {
				continue
			}
			r, err := s.conn.Receive()
			if err != nil {
				s.stderr("Error getting size for key '%s' (%d: %s)\n", cStr(k.Str), 1, ioErrText(err))
				return 1
			}
			if r.Kind != resp.KindInt {
				c := t.sizeCmd
				if memkeys {
					c = "MEMORY USAGE"
				}
				s.stderr("Warning:  %s on '%s' failed (may have changed type)\n", c, cStr(k.Str))
				continue
			}
			sizes[i] = uint64(r.Int)
		}
		for i, k := range keys {
			t := kt[i]
			if t == nil {
				continue
			}
			t.total += sizes[i]
			t.count++
			totlen += uint64(len(k.Str))
			sampled++
			if t.biggest < sizes[i] {
				t.biggestKey = Repr(k.Str)
				t.hasBiggest = true
				fmt.Fprintf(s.out, "[%05.2f%%] Biggest %-6s found so far '%s' with %d %s\n", pct, t.name, t.biggestKey, sizes[i], unit(t))
				t.biggest = sizes[i]
			}
			if sampled%1000000 == 0 {
				fmt.Fprintf(s.out, "[%05.2f%%] Sampled %d keys so far\n", pct, sampled)
			}
		}
		if s.scanStep(loops, cur) {
			break
		}
	}
	s.scanSummary(pct, sampled)
	avgLen := 0.0
	if totlen > 0 {
		avgLen = float64(totlen) / float64(sampled)
	}
	fmt.Fprintf(s.out, "Total key length in bytes is %d (avg len %.2f)\n\n", totlen, avgLen)
	for _, n := range order {
		t := types[n]
		if t.hasBiggest {
			fmt.Fprintf(s.out, "Biggest %6s found '%s' has %d %s\n", t.name, t.biggestKey, t.biggest, unit(t))
		}
	}
	s.out.WriteString("\n")
	for _, n := range order {
		t := types[n]
		p, a := 0.0, 0.0
		if sampled > 0 {
			p = 100 * float64(t.count) / float64(sampled)
		}
		if t.count > 0 {
			a = float64(t.total) / float64(t.count)
		}
		fmt.Fprintf(s.out, "%d %ss with %d %s (%05.2f%% of keys, avg size %.2f)\n", t.count, t.name, t.total, unit(t), p, a)
	}
	s.out.Flush()
	return 0
}

func bytesToHuman(n int64) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	switch {
	case n < 1024:
		return sign + strconv.FormatInt(n, 10) + "B"
	case n < 1024*1024:
		return sign + fmt.Sprintf("%.2fK", float64(n)/1024)
	case n < 1024*1024*1024:
		return sign + fmt.Sprintf("%.2fM", float64(n)/(1024*1024))
	default:
		return sign + fmt.Sprintf("%.2fG", float64(n)/(1024*1024*1024))
	}
}

func (s *session) statMode() int {
	var requests int64
	for i := 0; ; i++ {
		v, err := s.conn.Do("INFO")
		if err != nil {
			s.stderr("\nI/O error\n")
			return 1
		}
		if v.IsError() {
			s.stderr("ERROR: %s\n", v.Str)
			return 1
		}
		info := string(v.Str)
		if i%20 == 0 {
			s.out.WriteString("------- data ------ --------------------- load -------------------- - child -\n" +
				"keys       mem      clients blocked requests            connections          \n")
		}
		var keys int64
		for j := 0; j < 20; j++ {
			if k, ok := client.InfoInt(info, "db"+strconv.Itoa(j)+":keys"); ok {
				keys += k
			}
		}
		fmt.Fprintf(s.out, "%-11s", strconv.FormatInt(keys, 10))
		mem, _ := client.InfoInt(info, "used_memory")
		fmt.Fprintf(s.out, "%-8s", bytesToHuman(mem))
		cl, _ := client.InfoInt(info, "connected_clients")
		fmt.Fprintf(s.out, " %-8s", strconv.FormatInt(cl, 10))
		bl, _ := client.InfoInt(info, "blocked_clients")
		fmt.Fprintf(s.out, "%-8s", strconv.FormatInt(bl, 10))
		req, _ := client.InfoInt(info, "total_commands_processed")
		d := int64(0)
		if requests != 0 {
			d = req - requests
		}
		fmt.Fprintf(s.out, "%-19s", fmt.Sprintf("%d (+%d)", req, d))
		requests = req
		conns, _ := client.InfoInt(info, "total_connections_received")
		fmt.Fprintf(s.out, " %-12s", strconv.FormatInt(conns, 10))
		b, _ := client.InfoInt(info, "bgsave_in_progress")
		a, _ := client.InfoInt(info, "aof_rewrite_in_progress")
		l, _ := client.InfoInt(info, "loading")
		switch b | a<<1 | l<<2 {
		case 1:
			s.out.WriteString("SAVE")
		case 2:
			s.out.WriteString("AOF")
		case 3:
			s.out.WriteString("SAVE+AOF")
		case 4:
			s.out.WriteString("LOAD")
		}
		s.out.WriteString("\n")
		s.out.Flush()
		time.Sleep(time.Duration(s.cfg.Interval * float64(time.Second)))
	}
}

func (s *session) intrinsicLatency() int {
	end := time.Now().Add(time.Duration(s.cfg.IntrinsicLatency) * time.Second)
	var max time.Duration
	var runs int64
	var total time.Duration
	for time.Now().Before(end) {
		t0 := time.Now()
		for i := 0; i < 1000; i++ {
		}
		d := time.Since(t0)
		total += d
		runs++
		if d > max {
			max = d
			fmt.Fprintf(s.out, "Max latency so far: %d microseconds.\n", max.Microseconds())
			s.out.Flush()
		}
	}
	avg := float64(total.Nanoseconds()) / float64(runs)
	fmt.Fprintf(s.out, "\n%d total runs (avg latency: %.4f microseconds / %.2f nanoseconds per run).\n", runs, avg/1000, avg)
	fmt.Fprintf(s.out, "Worst run took %.0fx longer than the average latency.\n", float64(max.Nanoseconds())/avg)
	return 0
}
