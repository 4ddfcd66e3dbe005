package command

import (
	"errors"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/shoal-db/shoal/internal/hdrhist"
	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/stream"
)

// Flag is a command flag, as COMMAND INFO lists them.
type Flag uint32

// Command flags (Redis 7.0 names).
const (
	FlagWrite Flag = 1 << iota
	FlagReadonly
	FlagDenyOOM
	FlagModule
	FlagAdmin
	FlagPubsub
	FlagNoscript
	FlagBlocking
	FlagLoading
	FlagStale
	FlagSkipMonitor
	FlagSkipSlowlog
	FlagAsking
	FlagFast
	FlagNoAuth
	FlagMayReplicate
	FlagNoMandatoryKeys
	FlagNoMulti
	FlagMovableKeys
	FlagAllowBusy
	FlagNoAsyncLoading

	// FlagOffLoop is Shoal's own, not a Redis flag (COMMAND INFO never
	// shows it): the command waits on the network (MIGRATE), so the event
	// loop hands the connection to a goroutine before running it.
	FlagOffLoop
)

var flagNames = map[string]Flag{
	"write": FlagWrite, "readonly": FlagReadonly, "denyoom": FlagDenyOOM, "module": FlagModule,
	"admin": FlagAdmin, "pubsub": FlagPubsub, "noscript": FlagNoscript, "blocking": FlagBlocking,
	"loading": FlagLoading, "stale": FlagStale, "skip_monitor": FlagSkipMonitor,
	"skip_slowlog": FlagSkipSlowlog, "asking": FlagAsking, "fast": FlagFast, "no_auth": FlagNoAuth,
	"may_replicate": FlagMayReplicate, "no_mandatory_keys": FlagNoMandatoryKeys,
	"no_multi": FlagNoMulti, "movablekeys": FlagMovableKeys, "allow_busy": FlagAllowBusy,
	"no_async_loading": FlagNoAsyncLoading,
}

// KeySpec is one of Redis 7.0's key specifications: where the search for
// keys begins (an index, or after a keyword) and how keys are found from
// there (a range, or a count argument).
type KeySpec struct {
	Flags        string
	BeginIndex   int
	BeginKeyword string
	KeywordStart int
	BeginUnknown bool
	LastKey      int
	KeyStep      int
	Limit        int
	KeyNum       bool
	KeyNumIdx    int
	FirstKey     int
	FindUnknown  bool
	// NotKey and Incomplete are the not_key and incomplete flags of Flags,
	// set when the table is built (ACL key checks test them per command).
	NotKey, Incomplete bool
}

// Handler executes one command. It runs with the stripes of the command's
// keys already locked (or all stripes, for LockAll commands) and must not
// block or lock stripes itself.
type Handler func(c *Ctx)

// Spec is one command (or subcommand: Name "config|get").
type Spec struct {
	Name              string
	Arity             int
	Flags             Flag
	First, Last, Step int
	KeySpecs          []KeySpec
	Subs              map[string]*Spec
	Parent            *Spec
	// ID numbers every command and subcommand of the table densely from 0
	// (containers before their subcommands, by name): the index of its
	// bit in an ACL user's command bitmap (internal/acl).
	ID int

	// Handler is nil for commands Shoal does not implement yet.
	Handler Handler
	// LockAll: the command reads or writes the whole keyspace (FLUSHALL, KEYS…).
	LockAll bool
	// OwnLocks: the dispatcher does not lock the command's keys; the
	// handler locks and unlocks them itself (MIGRATE, which must not hold
	// them across its network I/O). Inside EXEC (Locked) the transaction
	// holds them and the handler must not lock.
	OwnLocks bool
	// ExecLocksAll: inside MULTI/EXEC the transaction takes every stripe
	// (EVAL, FCALL: a script may reach keys it did not declare). With
	// OwnLocks, the handler knows EXEC holds them from Ctx.Locked.
	ExecLocksAll bool
	// GetKeys overrides key-spec extraction where Redis uses a getkeys_proc.
	GetKeys func(args [][]byte, dst []int) []int
	// GetKeysSpec is the key spec whose flags the i-th key GetKeys found
	// carries (COMMAND GETKEYSANDFLAGS), as the getkeys_proc sets them;
	// nil: the first spec for every key.
	GetKeysSpec func(i int) int

	info2, info3, docs2, docs3 string

	// Calls and Usec feed INFO commandstats.
	Calls, Usec, RejectedCalls, FailedCalls atomic.Int64
	// Latency is the command's latency histogram (latency-tracking: INFO
	// latencystats, LATENCY HISTOGRAM).
	Latency hdrhist.Histogram
}

// Has reports whether the command has flag f.
func (s *Spec) Has(f Flag) bool { return s.Flags&f != 0 }

// FullName is the name as Redis prints it in errors ("config|get").
func (s *Spec) FullName() string { return s.Name }

// CheckArity reports whether n arguments (name included) suit the command.
func (s *Spec) CheckArity(n int) bool {
	if s.Arity >= 0 {
		return n == s.Arity
	}
	return n >= -s.Arity
}

// Info returns the raw COMMAND INFO element for proto 2 or 3.
func (s *Spec) Info(proto int) string {
	if proto >= 3 {
		return s.info3
	}
	return s.info2
}

// Docs returns the raw COMMAND DOCS value for proto 2 or 3.
func (s *Spec) Docs(proto int) string {
	if proto >= 3 {
		return s.docs3
	}
	return s.docs2
}

// Table is the set of commands, by lower-case name.
type Table struct {
	// cmds is by the name clients call a command (after rename-command),
	// orig by Redis's name, for the server's own look-ups (Get): Redis's
	// commands and orig_commands dicts.
	cmds   map[string]*Spec
	orig   map[string]*Spec
	numIDs int
	// byShape holds cmds by the length and first letter of their names
	// (shapeOf), for Lookup: comparing the one to three names of a shape
	// costs less than hashing the name for the map, on every command.
	byShape [shapeLens << 5][]shaped
}

// shapeLens bounds the name lengths byShape indexes; longer names go to
// the map.
const shapeLens = 24

type shaped struct {
	name string
	spec *Spec
}

// shapeOf is the byShape index of a name of length n starting with c (any
// case), or -1 past shapeLens.
func shapeOf(n int, c byte) int {
	if n >= shapeLens {
		return -1
	}
	return n<<5 | int(c&31)
}

// indexShapes rebuilds byShape from cmds (at NewTable and Rename).
func (t *Table) indexShapes() {
	t.byShape = [shapeLens << 5][]shaped{}
	for name, s := range t.cmds {
		if i := shapeOf(len(name), name[0]); i >= 0 {
			t.byShape[i] = append(t.byShape[i], shaped{name, s})
		}
	}
}

// genSpec is the generated form of a Spec.
type genSpec struct {
	name              string
	arity             int
	flags             string
	first, last, step int
	keySpecs          []KeySpec
	info2, info3      string
	docs2, docs3      string
	subs              []genSpec
}

func fromGen(g *genSpec, parent *Spec) *Spec {
	s := &Spec{Name: g.name, Arity: g.arity, First: g.first, Last: g.last, Step: g.step,
		KeySpecs: append([]KeySpec(nil), g.keySpecs...), Parent: parent,
		info2: g.info2, info3: g.info3, docs2: g.docs2, docs3: g.docs3}
	for _, f := range strings.Fields(g.flags) {
		s.Flags |= flagNames[f]
	}
	for i := range s.KeySpecs {
		ks := &s.KeySpecs[i]
		for _, f := range strings.Fields(ks.Flags) {
			ks.NotKey = ks.NotKey || f == "not_key"
			ks.Incomplete = ks.Incomplete || f == "incomplete"
		}
	}
	if len(g.subs) > 0 {
		s.Subs = make(map[string]*Spec, len(g.subs))
		for i := range g.subs {
			sub := fromGen(&g.subs[i], s)
			_, short, _ := strings.Cut(sub.Name, "|")
			s.Subs[short] = sub
		}
	}
	return s
}

// NewTable builds the table of every Redis 7.0 command, with no handlers.
func NewTable() *Table {
	t := &Table{cmds: make(map[string]*Spec, len(generatedSpecs))}
	for i := range generatedSpecs {
		s := fromGen(&generatedSpecs[i], nil)
		t.cmds[s.Name] = s
	}
	t.orig = make(map[string]*Spec, len(t.cmds))
	for n, s := range t.cmds {
		t.orig[n] = s
	}
	t.numberSpecs()
	t.indexShapes()
	return t
}

// Rename is the rename-command directive: the command clients call old
// is called new from now on, or is gone when new is "". The server's own
// look-ups (Get, Orig) keep Redis's names. The errors are Redis's reasons.
func (t *Table) Rename(old, new string) error {
	old, new = strings.ToLower(old), strings.ToLower(new)
	s := t.cmds[old]
	if s == nil || strings.Contains(old, "|") {
		return errors.New("No such command in rename-command")
	}
	delete(t.cmds, old)
	defer t.indexShapes()
	if new == "" {
		return nil
	}
	if t.cmds[new] != nil {
		return errors.New("Target command name already exists")
	}
	t.cmds[new] = s
	return nil
}

// Find is Get by the names clients use (after rename-command): COMMAND
// INFO and DOCS, as Redis's lookupCommandBySds.
func (t *Table) Find(name string) *Spec {
	top, sub, ok := strings.Cut(name, "|")
	s := t.cmds[top]
	if s == nil || !ok {
		return s
	}
	return s.Subs[sub]
}

// Orig returns the entry the table had under name before any
// rename-command ("config|get": the flat copy of a subcommand).
func (t *Table) Orig(name string) *Spec { return t.orig[name] }

// numberSpecs gives every command and subcommand its ID, in name order.
func (t *Table) numberSpecs() {
	names := t.topNames()
	id := 0
	for _, n := range names {
		s := t.cmds[n]
		s.ID = id
		id++
		for _, sub := range s.SortedSubs() {
			sub.ID = id
			id++
		}
	}
	t.numIDs = id
}

// topNames lists the commands by name, without the generated table's
// "x|y" copies of subcommands (each is numbered once, under its parent).
func (t *Table) topNames() []string {
	names := make([]string, 0, len(t.cmds))
	for n := range t.cmds {
		if !strings.Contains(n, "|") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// NumIDs is the number of IDs numberSpecs gave out.
func (t *Table) NumIDs() int { return t.numIDs }

// SortedSubs returns a container's subcommands by name.
func (s *Spec) SortedSubs() []*Spec {
	out := make([]*Spec, 0, len(s.Subs))
	for _, sub := range s.Subs {
		out = append(out, sub)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Each calls fn for every command of the table, implemented or not, with
// its subcommands after it, in ID order.
func (t *Table) Each(fn func(*Spec)) {
	names := t.topNames()
	for _, n := range names {
		fn(t.cmds[n])
		for _, sub := range t.cmds[n].SortedSubs() {
			fn(sub)
		}
	}
}

// Lookup finds a command by name (any case) without allocating.
func (t *Table) Lookup(name []byte) *Spec {
	if len(name) == 0 {
		return nil
	}
	if i := shapeOf(len(name), name[0]); i >= 0 {
		for _, c := range t.byShape[i] {
			if equalLower(name, c.name) {
				return c.spec
			}
		}
		return nil
	}
	var buf [32]byte
	if len(name) > len(buf) {
		return t.cmds[strings.ToLower(string(name))]
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return t.cmds[string(buf[:len(name)])]
}

// equalLower reports whether in, with ASCII letters lowered, is name (all
// lower case, of in's length).
func equalLower(in []byte, name string) bool {
	for i := range len(name) {
		c := in[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// LookupSub resolves a container command's subcommand (args[1]); it returns
// the container itself when it has no subcommands.
func (s *Spec) LookupSub(args [][]byte) *Spec {
	if s.Subs == nil || len(args) < 2 {
		return s
	}
	return s.Subs[strings.ToLower(string(args[1]))]
}

// Get returns the spec Redis names name ("get", "config|get"), whatever
// rename-command made of it.
func (t *Table) Get(name string) *Spec {
	top, sub, ok := strings.Cut(name, "|")
	s := t.orig[top]
	if s == nil || !ok {
		return s
	}
	return s.Subs[sub]
}

// Handle attaches a handler to the named command, which must exist.
func (t *Table) Handle(name string, h Handler) *Spec {
	s := t.Get(name)
	if s == nil {
		panic("command: no such command " + name)
	}
	s.Handler = h
	return s
}

// Implemented reports whether a command (or any of its subcommands) has a handler.
func (s *Spec) Implemented() bool {
	if s.Handler != nil {
		return true
	}
	for _, sub := range s.Subs {
		if sub.Handler != nil {
			return true
		}
	}
	return false
}

// All returns every command that is implemented, in no particular order.
func (t *Table) All() []*Spec {
	out := make([]*Spec, 0, len(t.cmds))
	for _, s := range t.cmds {
		if s.Implemented() {
			out = append(out, s)
		}
	}
	return out
}

// Ctx is what a handler works with.
type Ctx struct {
	Args [][]byte
	W    *resp.Writer
	DB   *keyspace.DB
	KS   *keyspace.Keyspace
	Cmd  *Spec
	// Client is the server's per-connection state, for handlers the server attaches.
	Client any
	// Dirty is how many changes the command made (propagation, save points).
	Dirty int
	// Err is set when the command replied with an error (commandstats failed_calls).
	Err bool
	// Settings is the configuration in force when the command started, set
	// by the dispatcher; read it through Conf and Limits (settings.go).
	Settings *Settings

	// Effects collects what the command propagates to the write stream
	// (see Propagate); nil when nothing reads the stream. Propagated counts
	// this command's Propagate calls. Both are managed by the dispatcher.
	Effects    *stream.Batch
	Propagated int
	// ReplExcept are the consumers a script's redis.set_repl left out of
	// what its commands propagate (none outside scripts).
	ReplExcept stream.Target

	// Blocking commands (see internal/server/blocking.go). CanBlock is set
	// by the dispatcher when the command may park the client (not inside
	// MULTI/EXEC, not in tests); Block is the request a handler made with
	// BlockOn; Ready lists keys this command made non-empty (SignalReady)
	// and is reset by the dispatcher; Waiters, when set, counts the
	// clients blocked on keys so SignalReady costs one atomic load when
	// nobody waits.
	CanBlock bool
	// Woken is set by the dispatcher when it re-runs a blocked command
	// because one of its keys was signalled: as in Redis's
	// handleClientsBlockedOnKeys, a key that now holds another type is not
	// served (the client keeps waiting) instead of answering WRONGTYPE.
	Woken bool
	// WokenKey is the key whose signal gave a woken command its turn (nil
	// when not known): XREAD/XREADGROUP serve that stream only, as Redis does.
	WokenKey []byte
	// Locked: the caller (EXEC) already holds the stripes; for OwnLocks handlers.
	Locked bool
	// InScript: the command runs from EVAL/FCALL (Redis's CLIENT_SCRIPT).
	InScript bool
	Block    *BlockRequest
	Ready    []ReadyKey
	Waiters  *atomic.Int64
	// ReplyLimit is the client's hard output-buffer limit
	// (client-output-buffer-limit of its class; 0: none), set by the
	// dispatcher: see ReplyOverLimit.
	ReplyLimit int
	// keySlot is the slot of the command's only key plus one, as the
	// dispatcher computed it to lock its stripe (SetKeySlot); 0, a new
	// Ctx's, is "not known".
	keySlot int
}

// SetKeySlot records the slot of the command's only key (-1: not known).
func (c *Ctx) SetKeySlot(s int) { c.keySlot = s + 1 }

// KeySlot is the slot of the command's only key if the dispatcher knows it,
// else -1 (several keys, none, or a call from EXEC or a script): the
// hottest handlers pass it down (keyspace.DB.LookupIn) instead of hashing
// the key again.
func (c *Ctx) KeySlot() int { return c.keySlot - 1 }

// ReplyOverLimit reports whether the replies pending for this client have
// reached its hard output-buffer limit: the server closes it after this
// command and sends none of them, so a handler that may write a huge
// reply (KEYS, HRANDFIELD/SRANDMEMBER/ZRANDMEMBER with a large negative
// count) stops early, as Redis's loops stop on CLIENT_CLOSE_ASAP.
func (c *Ctx) ReplyOverLimit() bool { return c.ReplyLimit > 0 && c.W.Len() >= c.ReplyLimit }

// BlockRequest is what a blocking handler asks for when it finds no data.
type BlockRequest struct {
	Keys    [][]byte
	Timeout time.Duration // 0: wait forever
	// NullArray: reply *-1 (RESP3 _) on timeout; else a null bulk ($-1 / _).
	NullArray bool
}

// ReadyKey is a key a command made non-empty, in a database.
type ReadyKey struct {
	DB  int
	Key string
	// WholeDB: every key clients wait on in DB (SWAPDB, as Redis's
	// scanDatabaseForReadyKeys); Key is unused.
	WholeDB bool
}

// BlockOn is called by a blocking command (BLPOP, BZPOPMIN…) that found
// nothing to serve. It writes nothing: the dispatcher registers the client
// on keys (still under the stripe locks), waits, and re-runs the command
// when a key is signalled, until it is served or times out. When the
// client may not block (inside MULTI/EXEC), BlockOn replies the timeout
// reply at once, as Redis does.
func (c *Ctx) BlockOn(keys [][]byte, timeout time.Duration, nullArray bool) {
	if !c.CanBlock {
		if nullArray {
			c.W.NullArray()
		} else {
			c.W.Null()
		}
		return
	}
	c.Block = &BlockRequest{Keys: keys, Timeout: timeout, NullArray: nullArray}
}

// SignalReady is called by a command that may have made key non-empty (a
// push, LMOVE's destination, RENAME/COPY/MOVE/RESTORE into a key, SORT
// STORE, ZADD…), under the key's stripe lock. After the command, the
// dispatcher gives the first client blocked on the key a turn.
func (c *Ctx) SignalReady(key []byte) {
	if c.Waiters == nil || c.Waiters.Load() == 0 {
		return
	}
	c.Ready = append(c.Ready, ReadyKey{DB: c.DB.Index, Key: string(key)})
}

// SignalReadyDB is SignalReady for a key in another database (MOVE, COPY … DB).
func (c *Ctx) SignalReadyDB(db int, key []byte) {
	if c.Waiters == nil || c.Waiters.Load() == 0 {
		return
	}
	c.Ready = append(c.Ready, ReadyKey{DB: db, Key: string(key)})
}

// SignalReadyWholeDB is SignalReady for every key clients wait on in db
// (SWAPDB brings in a whole database of values).
func (c *Ctx) SignalReadyWholeDB(db int) {
	if c.Waiters == nil || c.Waiters.Load() == 0 {
		return
	}
	c.Ready = append(c.Ready, ReadyKey{DB: db, WholeDB: true})
}

// Propagate records one command for the write stream, in the form Redis
// 7.0 propagates it (SET … PXAT for SET … EX, SREM for SPOP, LPOP for a
// served BLPOP…), run in the command's database. The contract, Redis's
// alsoPropagate and rewriteClientCommandVector collapsed into one rule:
//   - a handler that calls Propagate at least once propagates exactly
//     those commands, in order;
//   - a handler that never calls it and set Dirty > 0 propagates its own
//     arguments verbatim;
//   - Dirty == 0 and no Propagate: nothing.
//
// More than one command from one execution unit reaches the stream
// wrapped in MULTI … EXEC. The arguments are copied; the caller may reuse them.
func (c *Ctx) Propagate(argv ...[]byte) {
	c.Propagated++
	if c.Effects != nil {
		c.Effects.AddTo(c.DB.Index, stream.ToAll&^c.ReplExcept, argv...)
	}
}

// PropagateTo is Propagate for some of the stream's consumers only (a
// standalone PUBLISH: the replicas, not the AOF).
func (c *Ctx) PropagateTo(to stream.Target, argv ...[]byte) {
	c.Propagated++
	if c.Effects != nil {
		c.Effects.AddTo(c.DB.Index, to&^c.ReplExcept, argv...)
	}
}

// PropagateDB is Propagate for a command run in another database (MOVE's
// and COPY … DB's effects are propagated verbatim, so few need it).
func (c *Ctx) PropagateDB(db int, argv ...[]byte) {
	c.Propagated++
	if c.Effects != nil {
		c.Effects.AddTo(db, stream.ToAll&^c.ReplExcept, argv...)
	}
}

// Error replies with an error and records the failure.
func (c *Ctx) Error(msg string) {
	c.Err = true
	c.W.Error(msg)
}
