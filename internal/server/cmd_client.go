package server

import (
	"net"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
)

// clientAdmin is the per-connection state of the admin commands.
type clientAdmin struct {
	// snap is what other connections' CLIENT LIST shows of this one. Only
	// the owning goroutine writes it, after each command, and only when a
	// figure changed (so the hot path allocates nothing).
	snap    atomic.Pointer[clientSnap]
	noEvict atomic.Bool
	monitor atomic.Bool
	fd      atomic.Int64 // 0: not looked up yet
	// qbuf is the input held unparsed (qbufSeen the owner's copy, to store
	// only changes); memAcct what the client last added to the
	// maxmemory-clients sum (clientevict.go); evictedMem its figure when
	// client eviction closed it, until its connection is gone.
	qbuf       atomic.Int64
	qbufSeen   int64
	qsize      atomic.Int64 // the query buffer's size (qbuf + qbuf-free)
	qsizeSeen  int64
	memAcct    atomic.Int64
	evictedMem atomic.Int64
}

// clientSnap is a consistent view of a connection's fields for CLIENT LIST.
type clientSnap struct {
	db, proto   int
	sub, psub   int
	ssub        int
	tracking    bool
	brokenRedir bool
	bcast       bool
	redir       int64 // -1 unless tracking
	multi       int   // -1 outside MULTI
	dirtyCAS    bool
	closeAfter  bool
	rbs, rbp    int // the reply buffer's size and peak (replybuf.go)
	outCap      int // what the reply buffer holds now beyond its size
	multiMem    int // queued commands and watched keys (multiStateMemOverhead)
	// subMem is what the client's subscriptions and tracking prefixes
	// hold (Redis's pubsubMemOverhead and its prefix-rax estimate).
	subMem int
}

// rejectCmd is reject for a command that was found but refused before it
// ran (arity, auth, MULTI, pub/sub context): Redis counts it in the
// command's rejected_calls.
func (c *client) rejectCmd(spec *command.Spec, msg string) {
	spec.RejectedCalls.Add(1)
	if spec.Name == "exec" {
		// Redis's execCommandAbort: the transaction goes, and the reason is
		// given without its "ERR " (rejectCommandFormat texts carry none).
		c.discardMulti()
		c.reject("EXECABORT Transaction discarded because of: " + strings.TrimPrefix(msg, "ERR "))
		return
	}
	c.reject(msg)
}

// afterCall is the bookkeeping after every executed command: errorstats,
// the MONITOR feed and the CLIENT LIST snapshot. mark is where the
// command's reply starts in c.w.Buf.
func (c *client) afterCall(spec *command.Spec, args [][]byte, mark int) {
	s := c.srv
	if c.ctx.Err {
		c.noteErrorStat(mark)
	}
	if s.adm.nMonitors.Load() > 0 && !spec.Has(command.FlagAdmin|command.FlagSkipMonitor) && !c.session {
		s.feedMonitors(c, args)
	}
}

// noteErrorStat counts the error reply that starts at mark in the reply
// buffer, if one does, in errorstats (by its first word).
func (c *client) noteErrorStat(mark int) {
	if mark >= len(c.w.Buf) || c.w.Buf[mark] != '-' {
		return
	}
	end := mark + 1
	for end < len(c.w.Buf) && c.w.Buf[end] != ' ' && c.w.Buf[end] != '\r' {
		end++
	}
	c.srv.noteErrorReply(string(c.w.Buf[mark+1 : end]))
}

func (c *client) currentSnap() clientSnap {
	sn := clientSnap{db: c.db.Index, proto: c.w.Proto, sub: len(c.subs), psub: len(c.psubs), ssub: len(c.ssubs),
		multi: -1, closeAfter: c.closeAfterReply, rbs: c.rb.size, rbp: c.rb.peak, outCap: max(cap(c.w.Buf)-c.rb.size, 0),
		tracking: c.trk.on, brokenRedir: c.trkBroken.Load(), bcast: c.trk.bcast, redir: -1}
	if c.trk.on {
		sn.redir = c.trk.redir
	}
	sn.multiMem = c.multiMem + len(c.watched)*int(unsafe.Sizeof(watchedKey{}))
	sn.subMem = (len(c.subs) + len(c.psubs) + len(c.ssubs) + len(c.trk.prefixes)) * subEntrySize
	if c.inMulti {
		sn.multi = len(c.queued)
		sn.dirtyCAS = c.watcher != nil && c.watcher.Dirty.Load()
	}
	return sn
}

func (c *client) updateSnap() {
	sn := c.currentSnap()
	if old := c.adm.snap.Load(); old != nil && *old == sn {
		return
	}
	// A copy on the heap only when it changed: storing &sn itself would
	// move sn to the heap on every call.
	p := new(clientSnap)
	*p = sn
	c.adm.snap.Store(p)
}

// fdOf returns the socket's file descriptor (Redis's fd field), or -1.
func (c *client) fdOf() int64 {
	if fd := c.adm.fd.Load(); fd != 0 {
		return fd
	}
	fd := int64(-1)
	conn := c.conn
	if tc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		conn = tc.NetConn() // TLS: the socket under it
	}
	if lc, ok := conn.(interface{ FD() int }); ok {
		fd = int64(lc.FD())
	} else if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			raw.Control(func(f uintptr) { fd = int64(f) })
		}
	}
	c.adm.fd.Store(fd)
	return fd
}

// clientType is Redis's getClientType for CLIENT LIST/KILL TYPE.
func (c *client) clientType(sn *clientSnap) string {
	if c.isMaster {
		return "master"
	}
	if c.replLink.Load() != nil {
		return "slave"
	}
	if sn.sub+sn.psub+sn.ssub > 0 {
		return "pubsub"
	}
	return "normal"
}

// infoLine is one CLIENT LIST line (without the newline), Redis 7.0.15's
// field list. self is true when the connection describes itself, so live
// fields can be read directly.
func (c *client) infoLine(self bool, args [][]byte) string {
	var sn clientSnap
	if self {
		sn = c.currentSnap()
	} else if p := c.adm.snap.Load(); p != nil {
		sn = *p
	} else {
		sn = clientSnap{proto: 2, multi: -1, rbs: replyBufChunk, redir: -1}
	}
	c.metaMu.Lock()
	name, cmd := c.name, ""
	if p := c.lastCmd.Load(); p != nil {
		cmd = *p
	}
	c.metaMu.Unlock()
	if self && len(args) > 0 {
		// The command running now, as Redis sets lastcmd before calling it.
		cmd = c.ctx.Cmd.Name
	}
	if cmd == "" {
		cmd = "NULL"
	}
	now := time.Now()
	flags := make([]byte, 0, 4)
	if c.adm.monitor.Load() {
		flags = append(flags, 'O')
	}
	if c.replLink.Load() != nil {
		flags = append(flags, 'S')
	}
	if c.isMaster {
		flags = append(flags, 'M')
	}
	if sn.sub+sn.psub+sn.ssub > 0 {
		flags = append(flags, 'P')
	}
	if sn.multi >= 0 {
		flags = append(flags, 'x')
	}
	if c.blockedNow.Load() {
		flags = append(flags, 'b') // blocked on keys, or held by CLIENT PAUSE
	}
	if sn.tracking {
		flags = append(flags, 't')
	}
	if sn.brokenRedir {
		flags = append(flags, 'R')
	}
	if sn.bcast {
		flags = append(flags, 'B')
	}
	if sn.dirtyCAS {
		flags = append(flags, 'd')
	}
	if sn.closeAfter {
		flags = append(flags, 'c')
	}
	if c.isUnix() {
		flags = append(flags, 'U')
	}
	if c.adm.noEvict.Load() {
		flags = append(flags, 'e')
	}
	if len(flags) == 0 {
		flags = append(flags, 'N')
	}
	argvMem := 0
	if self {
		for _, a := range args {
			argvMem += len(a)
		}
	}
	multi := sn.multi
	// omem and oll: the replies the client has not read (obuf.go).
	omem, oll := int(c.queuedOut()), 0
	if l := c.replLink.Load(); l != nil {
		// A replica's output buffer is the stream it has not been sent
		// yet (Redis's getClientOutputBufferMemoryUsage for replicas).
		if sent := l.sent.Load(); sent >= 0 {
			omem += int(max(c.srv.stream.Offset()-sent, 0))
		}
	}
	if c.qc != nil {
		oll = c.qc.QueuedChunks()
	}
	if c.asyncLen.Load() > 0 {
		oll++
	}
	qbuf, qsize := int(c.adm.qbuf.Load()), int(c.adm.qsize.Load())
	if self {
		qbuf = c.inLen // the batch this command came in, as Redis's querybuf
		qsize = max(qsize, qbuf)
	}
	// As memUsage (clientevict.go), with the running command's arguments.
	totMem := int(clientStateSize) + sn.rbs + sn.outCap + argvMem + omem + qsize + sn.multiMem + sn.subMem
	var b strings.Builder
	b.Grow(256)
	field := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	num := func(k string, v int64) { field(k, strconv.FormatInt(v, 10)) }
	num("id", c.id)
	field("addr", c.conn.RemoteAddr().String())
	field("laddr", c.conn.LocalAddr().String())
	num("fd", c.fdOf())
	field("name", name)
	num("age", int64(now.Sub(c.created)/time.Second))
	num("idle", (now.UnixMilli()-c.lastUsed.Load())/1000)
	field("flags", string(flags))
	num("db", int64(sn.db))
	num("sub", int64(sn.sub))
	num("psub", int64(sn.psub))
	num("ssub", int64(sn.ssub))
	num("multi", int64(multi))
	num("qbuf", int64(qbuf))
	num("qbuf-free", int64(max(qsize-qbuf, 0)))
	num("argv-mem", int64(argvMem))
	num("multi-mem", int64(sn.multiMem))
	num("rbs", int64(sn.rbs))
	num("rbp", int64(sn.rbp))
	num("obl", 0)
	num("oll", int64(oll))
	num("omem", int64(omem))
	num("tot-mem", int64(totMem))
	field("events", "r")
	field("cmd", cmd)
	if c.isMaster {
		field("user", "(superuser)") // the master client has no user
	} else {
		field("user", c.user.Load().Name)
	}
	num("redir", sn.redir)
	num("resp", int64(sn.proto))
	return b.String()
}

// snapshotClients returns the connected clients sorted by id, the master
// client of a replica among them.
func (s *Server) snapshotClients() []*client {
	s.clientsMu.Lock()
	out := make([]*client, 0, len(s.clients)+1)
	for _, c := range s.clients {
		out = append(out, c)
	}
	s.clientsMu.Unlock()
	if mc := s.masterClient(); mc != nil {
		out = append(out, mc)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

var clientHelp = []string{
	"CACHING (YES|NO)",
	"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
	"GETREDIR",
	"    Return the client ID we are redirecting to when tracking is enabled.",
	"GETNAME",
	"    Return the name of the current connection.",
	"ID",
	"    Return the ID of the current connection.",
	"INFO",
	"    Return information about the current client connection.",
	"KILL <ip:port>",
	"    Kill connection made from <ip:port>.",
	"KILL <option> <value> [<option> <value> [...]]",
	"    Kill connections. Options are:",
	"    * ADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made from the specified address",
	"    * LADDR (<ip:port>|<unixsocket>:0)",
	"      Kill connections made to specified local address",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Kill connections by type.",
	"    * USER <username>",
	"      Kill connections authenticated by <username>.",
	"    * SKIPME (YES|NO)",
	"      Skip killing current connection (default: yes).",
	"LIST [options ...]",
	"    Return information about client connections. Options:",
	"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
	"      Return clients of specified type.",
	"UNPAUSE",
	"    Stop the current client pause, resuming traffic.",
	"PAUSE <timeout> [WRITE|ALL]",
	"    Suspend all, or just write, clients for <timeout> milliseconds.",
	"REPLY (ON|OFF|SKIP)",
	"    Control the replies sent to the current connection.",
	"SETNAME <name>",
	"    Assign the name <name> to the current connection.",
	"UNBLOCK <clientid> [TIMEOUT|ERROR]",
	"    Unblock the specified blocked client.",
	"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
	"         [OPTIN] [OPTOUT] [NOLOOP]",
	"    Control server assisted client side caching.",
	"TRACKINGINFO",
	"    Report tracking status for the current connection.",
	"NO-EVICT (ON|OFF)",
	"    Protect current client connection from eviction.",
}

// validClientType reports whether t names a client class (getClientTypeByName).
func validClientType(t string) bool {
	switch strings.ToLower(t) {
	case "normal", "slave", "replica", "pubsub", "master":
		return true
	}
	return false
}

func (s *Server) registerClient() {
	// CLIENT SETINFO is Redis 7.2's; clients such as go-redis send it on
	// connect, so Shoal accepts it as 7.2 does although 7.0 does not know it.
	parent := s.table.Get("client")
	parent.Subs["setinfo"] = &command.Spec{Name: "client|setinfo", Arity: 4,
		Flags: command.FlagNoscript | command.FlagLoading | command.FlagStale, Parent: parent}

	s.handle("client|id", func(ctx *command.Ctx) { ctx.W.Int(ctx.Client.(*client).id) })
	s.handle("client|getname", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		c.metaMu.Lock()
		name := c.name
		c.metaMu.Unlock()
		if name == "" {
			ctx.W.Null()
			return
		}
		ctx.W.BulkString(name)
	})
	s.handle("client|setname", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		if msg := validClientName(ctx.Args[2]); msg != "" {
			ctx.Error(msg)
			return
		}
		c.metaMu.Lock()
		c.name = string(ctx.Args[2])
		c.metaMu.Unlock()
		ctx.W.OK()
	})
	s.handle("client|setinfo", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		attr := string(ctx.Args[2])
		var dst *string
		switch strings.ToLower(attr) {
		case "lib-name":
			dst = &c.libName
		case "lib-ver":
			dst = &c.libVer
		default:
			ctx.Error(rediserr.UnrecognizedOption(attr))
			return
		}
		for _, b := range ctx.Args[3] {
			if b < '!' || b > '~' {
				ctx.Error(rediserr.LibComponentChars(attr))
				return
			}
		}
		c.metaMu.Lock()
		*dst = string(ctx.Args[3])
		c.metaMu.Unlock()
		ctx.W.OK()
	})
	s.handle("client|info", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		ctx.W.Verbatim(c.infoLine(true, ctx.Args) + "\n")
	})
	s.handle("client|list", s.clientList)
	s.handle("client|kill", s.clientKill)
	s.handle("client|reply", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		switch strings.ToLower(string(ctx.Args[2])) {
		case "on":
			c.replyOff, c.replySkip, c.skipNow = false, false, false
			ctx.W.OK()
		case "off":
			c.replyOff = true
		case "skip":
			if !c.replyOff {
				// execute clears replySkip before running a command, so
				// the next command's reply is the one dropped.
				c.replySkip = true
			}
		default:
			ctx.Error(rediserr.Syntax)
		}
	})
	s.handle("client|no-evict", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		switch strings.ToLower(string(ctx.Args[2])) {
		case "on":
			c.adm.noEvict.Store(true)
		case "off":
			c.adm.noEvict.Store(false)
		default:
			ctx.Error(rediserr.Syntax)
			return
		}
		ctx.W.OK()
	})
	s.handle("client|pause", func(ctx *command.Ctx) {
		ms, ok := timeoutMs(ctx, ctx.Args[2])
		if !ok {
			return
		}
		if len(ctx.Args) == 4 {
			m := strings.ToLower(string(ctx.Args[3]))
			if m != "write" && m != "all" {
				ctx.Error(rediserr.PauseMode)
				return
			}
		} else if len(ctx.Args) > 4 {
			ctx.Error(rediserr.Syntax)
			return
		}
		kind := pauseAll
		if len(ctx.Args) == 4 && strings.EqualFold(string(ctx.Args[3]), "write") {
			kind = pauseWrite
		}
		s.pauseClients(pauseByClient, time.Now().UnixMilli()+ms, kind)
		ctx.W.OK()
	})
	s.handle("client|unpause", func(ctx *command.Ctx) {
		s.unpauseClients(pauseByClient)
		ctx.W.OK()
	})
	s.handle("client|help", helpReply("CLIENT", clientHelp))
}

// clientList is CLIENT LIST [TYPE type] [ID id ...].
func (s *Server) clientList(ctx *command.Ctx) {
	self := ctx.Client.(*client)
	args := ctx.Args
	typ := ""
	var ids map[int64]bool
	switch {
	case len(args) == 2:
	case len(args) == 4 && strings.EqualFold(string(args[2]), "type"):
		typ = strings.ToLower(string(args[3]))
		if !validClientType(typ) {
			ctx.Error(rediserr.UnknownClientType(string(args[3])))
			return
		}
		if typ == "replica" {
			typ = "slave" // clientType's name, as Redis's getClientTypeByName
		}
	case len(args) > 3 && strings.EqualFold(string(args[2]), "id"):
		ids = map[int64]bool{}
		for _, a := range args[3:] {
			id, ok := rnum.ParseInt(a)
			if !ok {
				ctx.Error(rediserr.InvalidClientID)
				return
			}
			ids[id] = true
		}
	default:
		ctx.Error(rediserr.Syntax)
		return
	}
	var b strings.Builder
	for _, c := range s.snapshotClients() {
		if ids != nil && !ids[c.id] || c != self && c.closed.Load() {
			continue // (killed: Redis has freed it already)
		}
		if typ != "" {
			sn := c.adm.snap.Load()
			if c == self {
				cur := self.currentSnap()
				sn = &cur
			}
			if sn == nil {
				sn = &clientSnap{}
			}
			if c.clientType(sn) != typ {
				continue
			}
		}
		b.WriteString(c.infoLine(c == self, ctx.Args))
		b.WriteByte('\n')
	}
	ctx.W.Verbatim(b.String())
}

// clientKill is CLIENT KILL ip:port (old form) or CLIENT KILL <filter>
// <value> ... (new form, replying with the number of clients killed).
func (s *Server) clientKill(ctx *command.Ctx) {
	self := ctx.Client.(*client)
	args := ctx.Args
	var (
		addr, laddr, typ, user string
		id                     int64
		skipMe                 = true
		oldForm                = len(args) == 3
	)
	if oldForm {
		addr = string(args[2])
		skipMe = false
	} else {
		if len(args)%2 != 0 {
			ctx.Error(rediserr.Syntax)
			return
		}
		for i := 2; i+1 < len(args); i += 2 {
			opt, val := strings.ToLower(string(args[i])), string(args[i+1])
			switch opt {
			case "id":
				n, err := strconv.ParseInt(val, 10, 64)
				if err != nil || n <= 0 {
					ctx.Error(rediserr.ClientIDPositive)
					return
				}
				id = n
			case "type":
				if !validClientType(val) {
					ctx.Error(rediserr.UnknownClientType(val))
					return
				}
				typ = strings.ToLower(val)
			case "addr":
				addr = val
			case "laddr":
				laddr = val
			case "user":
				if s.acl.Get(val) == nil {
					ctx.Error(rediserr.NoSuchUser(val))
					return
				}
				user = val
			case "skipme":
				switch strings.ToLower(val) {
				case "yes":
					skipMe = true
				case "no":
					skipMe = false
				default:
					ctx.Error(rediserr.Syntax)
					return
				}
			default:
				ctx.Error(rediserr.Syntax)
				return
			}
		}
	}
	killed := 0
	for _, c := range s.snapshotClients() {
		if addr != "" && c.conn.RemoteAddr().String() != addr {
			continue
		}
		if laddr != "" && c.conn.LocalAddr().String() != laddr {
			continue
		}
		if id != 0 && c.id != id {
			continue
		}
		if typ != "" {
			sn := c.adm.snap.Load()
			if c == self {
				cur := self.currentSnap()
				sn = &cur
			}
			if sn == nil {
				sn = &clientSnap{}
			}
			t := c.clientType(sn)
			if typ == "replica" {
				typ = "slave"
			}
			if t != typ {
				continue
			}
		}
		if user != "" && (c.isMaster || c.user.Load().Name != user) {
			continue
		}
		if c.isMaster {
			s.dropMasterLink() // it reconnects and continues partially
			killed++
			continue
		}
		if c == self && skipMe {
			continue
		}
		if c == self {
			// Like Redis: the reply goes out, then the connection closes.
			c.closeAfterReply = true
		} else {
			c.kill()
		}
		killed++
	}
	if oldForm {
		if killed == 0 {
			ctx.Error(rediserr.NoSuchClient)
			return
		}
		ctx.W.OK()
		return
	}
	ctx.W.Int(int64(killed))
}
