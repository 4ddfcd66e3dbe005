package cli

import (
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"os"
	"strconv"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/clustermgr"
	"github.com/shoal-db/shoal/internal/resp"
)

// spectrum palettes of --latency-dist (xterm 256 colours), and --mono's.
var (
	paletteColor = []int{0, 233, 234, 235, 237, 239, 241, 243, 245, 247, 144, 143, 142, 184, 226, 214, 208, 202, 196}
	paletteMono  = []int{0, 233, 234, 235, 237, 239, 241, 243, 245, 247, 249, 251, 253}
)

type distBucket struct {
	max   int64 // µs; 0 for the last bucket (everything above)
	count int64
	char  byte
}

// latencyDistMode is redis-cli's --latency-dist: PING every 10 ms, and
// every interval (default 1 s) one line of the latency spectrum, a
// coloured cell per bucket, with the legend every 20 lines.
func (s *session) latencyDistMode() {
	interval := int64(1000)
	if s.cfg.Interval > 0 {
		interval = int64(s.cfg.Interval * 1000)
	}
	palette := paletteColor
	if s.cfg.Mono {
		palette = paletteMono
	}
	buckets := []distBucket{{10, 0, '.'}, {125, 0, '-'}, {250, 0, '*'}, {500, 0, '#'}}
	for i := int64(1); i <= 9; i++ {
		buckets = append(buckets, distBucket{i * 1000, 0, byte('0' + i)})
	}
	for i, ms := range []int64{10, 20, 30, 40, 50, 100, 200, 300, 400, 500, 1000, 2000, 4000, 8000, 16000, 30000, 60000} {
		buckets = append(buckets, distBucket{ms * 1000, 0, byte('A' + i)})
	}
	buckets = append(buckets, distBucket{0, 0, '?'})
	var count int64
	outputs := 0
	start := time.Now()
	for {
		t0 := time.Now()
		if _, err := s.conn.Do("PING"); err != nil {
			s.stderr("\nI/O error\n")
			s.fail(1)
		}
		lat := time.Since(t0).Microseconds()
		count++
		for j := range buckets {
			if buckets[j].max == 0 || lat <= buckets[j].max {
				buckets[j].count++
				break
			}
		}
		if time.Since(start).Milliseconds() > interval {
			if outputs%20 == 0 {
				s.out.WriteString("---------------------------------------------\n" +
					". - * #          .01 .125 .25 .5 milliseconds\n" +
					"1,2,3,...,9      from 1 to 9     milliseconds\n" +
					"A,B,C,D,E        10,20,30,40,50  milliseconds\n" +
					"F,G,H,I,J        .1,.2,.3,.4,.5       seconds\n" +
					"K,L,M,N,O,P,Q,?  1,2,4,8,16,30,60,>60 seconds\n" +
					"From 0 to 100%: ")
				for _, c := range palette {
					fmt.Fprintf(s.out, "\x1b[48;5;%dm ", c)
				}
				s.out.WriteString("\x1b[0m\n---------------------------------------------\n")
			}
			outputs++
			s.out.WriteString("\x1b[38;5;0m")
			for j := range buckets {
				idx := int(math.Ceil(float64(buckets[j].count) / float64(count) * float64(len(palette)-1)))
				fmt.Fprintf(s.out, "\x1b[48;5;%dm%c", palette[idx], buckets[j].char)
				buckets[j].count = 0
			}
			s.out.WriteString("\x1b[0m\n")
			s.out.Flush()
			start = time.Now()
			count = 0
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// replicaMode is redis-cli's --replica (slaveMode): SYNC, discard the
// RDB payload, then print every command the master streams, as CSV.
func (s *session) replicaMode() int {
	payload, mark, msg := clustermgr.SendSync(s.conn)
	if msg != "" {
		s.stderr("%s", msg)
		s.fail(1)
	}
	if mark != nil {
		s.stderr("SYNC with master, discarding bytes of bulk transfer until EOF marker...\n")
	} else {
		s.stderr("SYNC with master, discarding %d bytes of bulk transfer...\n", payload)
	}
	br := s.conn.Reader()
	buf := make([]byte, 1024)
	var read uint64
	last := make([]byte, 0, 2*len(buf))
	for mark != nil || read < payload {
		n := len(buf)
		if mark == nil && payload-read < uint64(n) {
			n = int(payload - read)
		}
		nr, err := br.Read(buf[:n])
		if nr <= 0 && err != nil {
			s.stderr("Error reading RDB payload while SYNCing\n")
			s.fail(1)
		}
		read += uint64(nr)
		if mark != nil {
			last = append(last, buf[:nr]...)
			if len(last) > len(mark) {
				last = append(last[:0], last[len(last)-len(mark):]...)
			}
			if bytes.Equal(last, mark) {
				break
			}
		}
	}
	if mark != nil {
		s.stderr("SYNC done after %d bytes. Logging commands from master.\n", read)
		time.Sleep(time.Second) // redis-cli waits before putting the replica online
		s.sendReplconf("ACK", "0")
	} else {
		s.stderr("SYNC done. Logging commands from master.\n")
	}
	s.cfg.Output = OutputCSV
	for {
		if err := s.readReply(false); err != nil {
			return 1
		}
	}
}

// hotKeysMode is redis-cli's --hotkeys: SCAN the keyspace, OBJECT FREQ
// each key, keep the 16 hottest.
func (s *session) hotKeysMode() int {
	const sample = 16
	var counters [sample]uint64
	var hot [sample]string
	catchInterrupt()
	total := s.dbSize()
	s.scanBanner("hot keys")
	var sampled, loops uint64
	var pct float64
	cur := "0"
	for {
		pct = 100 * float64(sampled) / float64(total)
		var keys []client.Value
		cur, keys = s.sendScan(cur)
		loops++
		for _, k := range keys {
			s.conn.SendBytes([][]byte{[]byte("OBJECT"), []byte("FREQ"), k.Str})
		}
		s.conn.Flush()
		freqs := make([]uint64, len(keys))
		for i, k := range keys {
			r, err := s.conn.Receive()
			switch {
			case err != nil:
				s.stderr("Error getting freq for key '%s' (%d: %s)\n", Repr(k.Str), 1, ioErrText(err))
				return 1
			case r.IsError():
				s.stderr("Error: %s\n", cStr(r.Str))
				return 1
			case r.Kind != resp.KindInt:
				s.stderr("Warning: OBJECT freq on '%s' failed (may have been deleted)\n", Repr(k.Str))
			default:
				freqs[i] = uint64(r.Int)
			}
		}
		for i, k := range keys {
			sampled++
			if sampled%1000000 == 0 {
				fmt.Fprintf(s.out, "[%05.2f%%] Sampled %d keys so far\n", pct, sampled)
			}
			j := 0
			for j < sample && freqs[i] > counters[j] {
				j++
			}
			if j == 0 {
				continue
			}
			j--
			if j != 0 && counters[j] != 0 {
				copy(counters[:j], counters[1:j+1])
				copy(hot[:j], hot[1:j+1])
			}
			counters[j] = freqs[i]
			hot[j] = Repr(k.Str)
			fmt.Fprintf(s.out, "[%05.2f%%] Hot key '%s' found so far with counter %d\n", pct, hot[j], freqs[i])
		}
		if s.scanStep(loops, cur) {
			break
		}
	}
	s.scanSummary(pct, sampled)
	for i := sample - 1; i >= 0; i-- {
		if counters[i] > 0 {
			fmt.Fprintf(s.out, "hot key found with counter: %d\tkeyname: %s\n", counters[i], hot[i])
		}
	}
	s.out.Flush()
	return 0
}

// scanBanner opens the --bigkeys/--memkeys/--hotkeys report.
func (s *session) scanBanner(what string) {
	s.out.WriteString("\n# Scanning the entire keyspace to find " + what + " as well as\n" +
		"# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n" +
		"# per 100 SCAN commands (not usually needed).\n\n")
}

// scanStep ends one SCAN round of those modes: output flushed, the -i
// pause every 100 rounds; true when the scan is over or interrupted.
func (s *session) scanStep(loops uint64, cur string) bool {
	s.out.Flush()
	if s.cfg.Interval > 0 && loops%100 == 0 {
		time.Sleep(time.Duration(s.cfg.Interval * float64(time.Second)))
	}
	return cancelLoop.Load() || cur == "0"
}

func (s *session) scanSummary(pct float64, sampled uint64) {
	s.out.WriteString("\n-------- summary -------\n\n")
	if cancelLoop.Load() {
		fmt.Fprintf(s.out, "[%05.2f%%] ", pct)
	}
	fmt.Fprintf(s.out, "Sampled %d keys in the keyspace!\n", sampled)
}

// dbSize is redis-cli's getDbSize.
func (s *session) dbSize() uint64 {
	v, err := s.conn.Do("DBSIZE")
	switch {
	case err != nil:
		s.stderr("\nI/O error\n")
		s.fail(1)
	case v.IsError():
		s.stderr("Couldn't determine DBSIZE: %s\n", v.Str)
		s.fail(1)
	case v.Kind != resp.KindInt:
		s.stderr("Non INTEGER response from DBSIZE!\n")
		s.fail(1)
	}
	return uint64(int32(v.Int)) // getDbSize returns an int
}

// lruTestMode is redis-cli's --lru-test: one-second cycles of pipelined
// SETs and GETs (250 each) over lru:1..N keys drawn with an 80-20 power
// law, printing the GET hit rate per cycle. It runs until interrupted.
func (s *session) lruTestMode() int {
	rng := rand.New(rand.NewSource(time.Now().UnixNano() ^ int64(os.Getpid())))
	n := s.cfg.LRUTestKeys
	key := func() []byte {
		const alpha = 6.2
		max := float64(n + 1)
		r := rng.Float64()
		pl := math.Pow((math.Pow(max, alpha+1)-1)*r+1, 1/(alpha+1))
		return []byte("lru:" + strconv.FormatInt(n-int64(pl)+1, 10))
	}
	const batch = 250
	for {
		start := time.Now()
		var hits, misses int64
		for time.Since(start) < time.Second {
			for j := 0; j < batch; j++ {
				val := make([]byte, 5)
				for i := range val {
					val[i] = byte('A' + rng.Intn('z'-'A'))
				}
				s.conn.SendBytes([][]byte{[]byte("SET"), key(), val})
			}
			s.conn.Flush()
			for j := 0; j < batch; j++ {
				if _, err := s.conn.Receive(); err != nil {
					s.stderr("I/O error during LRU test\n")
					return 1
				}
			}
			for j := 0; j < batch; j++ {
				s.conn.SendBytes([][]byte{[]byte("GET"), key()})
			}
			s.conn.Flush()
			for j := 0; j < batch; j++ {
				r, err := s.conn.Receive()
				switch {
				case err != nil:
					s.stderr("I/O error during LRU test\n")
					return 1
				case r.IsError():
					s.stderr("%s\n", r.Str)
				case r.Null:
					misses++
				default:
					hits++
				}
			}
		}
		t := float64(hits + misses)
		fmt.Fprintf(s.out, "%d Gets/sec | Hits: %d (%.2f%%) | Misses: %d (%.2f%%)\n",
			hits+misses, hits, float64(hits)/t*100, misses, float64(misses)/t*100)
		s.out.Flush()
	}
}
