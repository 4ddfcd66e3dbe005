package script

import (
	"strings"

	"github.com/yuin/gopher-lua/ast"

	"github.com/shoal-db/shoal/internal/command"
)

// Closed scripts (docs/scripting.md, Locks).
//
// A script is closed when every key a redis.call / redis.pcall in it can
// reach is one of its declared keys (KEYS), whatever the values of KEYS,
// ARGV and the data: the server then holds every stripe the script will
// ever touch before it starts, so the script never waits for a stripe
// while holding one and needs no exclusive token, even when it writes.
//
// The check is syntactic and conservative (a script it cannot prove closed
// is open, and runs as before):
//
//   - every call of redis.call / redis.pcall is a direct call of the field
//     of the global `redis` (`redis.call(...)`, `redis["call"](...)`), whose
//     first argument is a string literal naming the command (and the second
//     one the subcommand of a container command);
//   - the command is not LockAll (KEYS, SCAN, SORT with its BY/GET patterns,
//     FLUSHALL…) and, when its key specs depend only on the number of
//     arguments, that number is known (no trailing f() or ..., unless the
//     keys sit at fixed positions before it) and every argument in a key
//     position is key-derived; when they depend on the
//     values (numkeys, keywords, a getkeys procedure), every argument after
//     the name is key-derived;
//   - key-derived is `KEYS[e]` (the global KEYS) or a local variable every
//     assignment of which is key-derived or nil;
//   - the global KEYS appears only as `KEYS[e]` read or `#KEYS` (never
//     written, never passed on), the global redis only as `redis.f` or as
//     such a call, and the script names none of _G, getfenv, setfenv,
//     loadstring, load (the ways around the rules above).

// analyzeClosed reports whether the chunk is closed; table resolves the
// commands.
func analyzeClosed(stmts []ast.Stmt, table *command.Table) bool {
	if table == nil {
		return false
	}
	a := &closedAnalysis{table: table}
	a.push()
	a.block(stmts)
	if a.open {
		return false
	}
	// The greatest fixed point: a local stays key-derived while every value
	// it is assigned is KEYS[e], nil or another key-derived local.
	for changed := true; changed; {
		changed = false
		for _, l := range a.locals {
			if !l.derived {
				continue
			}
			for _, d := range l.deps {
				if !d.derived {
					l.derived, changed = false, true
					break
				}
			}
		}
	}
	for _, l := range a.required {
		if !l.derived {
			return false
		}
	}
	return true
}

type closedLocal struct {
	derived bool
	deps    []*closedLocal
}

type closedAnalysis struct {
	table    *command.Table
	scopes   []map[string]*closedLocal
	locals   []*closedLocal
	required []*closedLocal
	open     bool
}

func (a *closedAnalysis) push() { a.scopes = append(a.scopes, map[string]*closedLocal{}) }
func (a *closedAnalysis) pop()  { a.scopes = a.scopes[:len(a.scopes)-1] }

func (a *closedAnalysis) declare(name string) *closedLocal {
	l := &closedLocal{derived: true}
	a.locals = append(a.locals, l)
	a.scopes[len(a.scopes)-1][name] = l
	return l
}

func (a *closedAnalysis) resolve(name string) *closedLocal {
	for i := len(a.scopes) - 1; i >= 0; i-- {
		if l := a.scopes[i][name]; l != nil {
			return l
		}
	}
	return nil
}

// bind records that l is assigned e (nil when e is missing).
func (a *closedAnalysis) bind(l *closedLocal, e ast.Expr) {
	if l == nil || e == nil {
		return
	}
	switch x := e.(type) {
	case *ast.NilExpr:
		return
	case *ast.IdentExpr:
		if d := a.resolve(x.Value); d != nil {
			l.deps = append(l.deps, d)
			return
		}
	case *ast.AttrGetExpr:
		if a.isGlobal(x.Object, "KEYS") {
			return
		}
	}
	l.derived = false
}

// keyArg requires e to be key-derived.
func (a *closedAnalysis) keyArg(e ast.Expr) {
	switch x := e.(type) {
	case *ast.AttrGetExpr:
		if a.isGlobal(x.Object, "KEYS") {
			return
		}
	case *ast.IdentExpr:
		if l := a.resolve(x.Value); l != nil {
			a.required = append(a.required, l)
			return
		}
	}
	a.open = true
}

func (a *closedAnalysis) isGlobal(e ast.Expr, name string) bool {
	id, ok := e.(*ast.IdentExpr)
	return ok && id.Value == name && a.resolve(name) == nil
}

// binds handles names = exprs (local or assignment): a missing value is
// nil, unless the last expression is a call or ... (several values).
func (a *closedAnalysis) binds(targets []*closedLocal, exprs []ast.Expr) {
	for i, l := range targets {
		switch {
		case i < len(exprs):
			if i == len(exprs)-1 && multiValue(exprs[i]) && i < len(targets)-1 {
				if l != nil {
					l.derived = false // gets the first of several values
				}
			} else {
				a.bind(l, exprs[i])
			}
		case len(exprs) > 0 && multiValue(exprs[len(exprs)-1]):
			if l != nil {
				l.derived = false
			}
		}
	}
}

func multiValue(e ast.Expr) bool {
	switch e.(type) {
	case *ast.FuncCallExpr, *ast.Comma3Expr:
		return true
	}
	return false
}

func (a *closedAnalysis) block(stmts []ast.Stmt) {
	for _, s := range stmts {
		if a.open {
			return
		}
		a.stmt(s)
	}
}

func (a *closedAnalysis) scoped(stmts []ast.Stmt) {
	a.push()
	a.block(stmts)
	a.pop()
}

func (a *closedAnalysis) stmt(s ast.Stmt) {
	switch s := s.(type) {
	case *ast.AssignStmt:
		a.exprs(s.Rhs)
		targets := make([]*closedLocal, len(s.Lhs))
		for i, lhs := range s.Lhs {
			switch x := lhs.(type) {
			case *ast.IdentExpr:
				if x.Value == "KEYS" || x.Value == "redis" {
					if a.resolve(x.Value) == nil {
						a.open = true
					}
				}
				targets[i] = a.resolve(x.Value)
			case *ast.AttrGetExpr:
				if a.isGlobal(x.Object, "KEYS") || a.isGlobal(x.Object, "redis") {
					a.open = true
				}
				a.expr(x.Object)
				a.expr(x.Key)
			default:
				a.expr(lhs)
			}
		}
		a.binds(targets, s.Rhs)
	case *ast.LocalAssignStmt:
		a.exprs(s.Exprs)
		targets := make([]*closedLocal, len(s.Names))
		for i, n := range s.Names {
			targets[i] = a.declare(n)
		}
		a.binds(targets, s.Exprs)
	case *ast.FuncCallStmt:
		a.expr(s.Expr)
	case *ast.DoBlockStmt:
		a.scoped(s.Stmts)
	case *ast.WhileStmt:
		a.expr(s.Condition)
		a.scoped(s.Stmts)
	case *ast.RepeatStmt:
		a.push()
		a.block(s.Stmts)
		a.expr(s.Condition)
		a.pop()
	case *ast.IfStmt:
		a.expr(s.Condition)
		a.scoped(s.Then)
		a.scoped(s.Else)
	case *ast.NumberForStmt:
		a.expr(s.Init)
		a.expr(s.Limit)
		if s.Step != nil {
			a.expr(s.Step)
		}
		a.push()
		a.declare(s.Name).derived = false
		a.block(s.Stmts)
		a.pop()
	case *ast.GenericForStmt:
		a.exprs(s.Exprs)
		a.push()
		for _, n := range s.Names {
			a.declare(n).derived = false
		}
		a.block(s.Stmts)
		a.pop()
	case *ast.FuncDefStmt:
		if s.Name.Func != nil {
			if id, ok := s.Name.Func.(*ast.IdentExpr); ok {
				if l := a.resolve(id.Value); l != nil {
					l.derived = false
				} else if id.Value == "KEYS" || id.Value == "redis" {
					a.open = true
				}
			} else {
				a.assignTarget(s.Name.Func)
			}
		}
		if s.Name.Receiver != nil {
			a.assignTarget(s.Name.Receiver)
		}
		a.function(s.Func, s.Name.Method != "")
	case *ast.ReturnStmt:
		a.exprs(s.Exprs)
	case *ast.BreakStmt, *ast.LabelStmt, *ast.GotoStmt:
	default:
		a.open = true
	}
}

// assignTarget is the object of `function a.b.c()` / `function a:m()`.
func (a *closedAnalysis) assignTarget(e ast.Expr) {
	if x, ok := e.(*ast.AttrGetExpr); ok && (a.isGlobal(x.Object, "KEYS") || a.isGlobal(x.Object, "redis")) {
		a.open = true
		return
	}
	if a.isGlobal(e, "KEYS") || a.isGlobal(e, "redis") {
		a.open = true
		return
	}
	a.expr(e)
}

func (a *closedAnalysis) function(f *ast.FunctionExpr, method bool) {
	a.push()
	if method {
		a.declare("self").derived = false
	}
	for _, n := range f.ParList.Names {
		a.declare(n).derived = false
	}
	a.block(f.Stmts)
	a.pop()
}

func (a *closedAnalysis) exprs(es []ast.Expr) {
	for _, e := range es {
		a.expr(e)
	}
}

// forbidden are the globals that reach the environment by another path.
var closedForbidden = map[string]bool{"_G": true, "getfenv": true, "setfenv": true, "loadstring": true, "load": true}

func (a *closedAnalysis) expr(e ast.Expr) {
	if a.open || e == nil {
		return
	}
	switch x := e.(type) {
	case *ast.IdentExpr:
		if a.resolve(x.Value) == nil && (x.Value == "KEYS" || x.Value == "redis" || closedForbidden[x.Value]) {
			a.open = true // KEYS / redis used as a value
		}
	case *ast.AttrGetExpr:
		switch {
		case a.isGlobal(x.Object, "KEYS"):
			a.expr(x.Key)
		case a.isGlobal(x.Object, "redis"):
			k, ok := x.Key.(*ast.StringExpr)
			if !ok || k.Value == "call" || k.Value == "pcall" {
				a.open = true // redis.call as a value, or redis[e]
			}
		default:
			a.expr(x.Object)
			a.expr(x.Key)
		}
	case *ast.FuncCallExpr:
		if x.Func != nil {
			if g, ok := x.Func.(*ast.AttrGetExpr); ok && a.isGlobal(g.Object, "redis") {
				if k, ok := g.Key.(*ast.StringExpr); ok && (k.Value == "call" || k.Value == "pcall") {
					a.exprs(x.Args)
					a.redisCall(x.Args)
					return
				}
			}
			a.expr(x.Func)
		}
		if x.Receiver != nil {
			a.expr(x.Receiver)
		}
		a.exprs(x.Args)
	case *ast.TableExpr:
		for _, f := range x.Fields {
			a.expr(f.Key)
			a.expr(f.Value)
		}
	case *ast.LogicalOpExpr:
		a.expr(x.Lhs)
		a.expr(x.Rhs)
	case *ast.RelationalOpExpr:
		a.expr(x.Lhs)
		a.expr(x.Rhs)
	case *ast.StringConcatOpExpr:
		a.expr(x.Lhs)
		a.expr(x.Rhs)
	case *ast.ArithmeticOpExpr:
		a.expr(x.Lhs)
		a.expr(x.Rhs)
	case *ast.UnaryMinusOpExpr:
		a.expr(x.Expr)
	case *ast.UnaryNotOpExpr:
		a.expr(x.Expr)
	case *ast.UnaryLenOpExpr:
		if !a.isGlobal(x.Expr, "KEYS") {
			a.expr(x.Expr)
		}
	case *ast.FunctionExpr:
		a.function(x, false)
	case *ast.TrueExpr, *ast.FalseExpr, *ast.NilExpr, *ast.NumberExpr, *ast.StringExpr, *ast.Comma3Expr:
	default:
		a.open = true
	}
}

// redisCall checks one redis.call / redis.pcall's arguments.
func (a *closedAnalysis) redisCall(args []ast.Expr) {
	if len(args) == 0 {
		return // fails at run time
	}
	name, ok := args[0].(*ast.StringExpr)
	if !ok {
		a.open = true
		return
	}
	spec := a.table.Lookup([]byte(name.Value))
	if spec == nil {
		return // unknown command: refused at run time
	}
	first := 1
	if spec.Subs != nil {
		if len(args) < 2 {
			return // the container alone: refused or keyless
		}
		sub, ok := args[1].(*ast.StringExpr)
		if !ok {
			a.open = true
			return
		}
		spec = spec.Subs[strings.ToLower(sub.Value)]
		if spec == nil {
			return
		}
		first = 2
	}
	if spec.LockAll {
		a.open = true
		return
	}
	if len(spec.KeySpecs) == 0 && spec.GetKeys == nil {
		return
	}
	if multiValue(args[len(args)-1]) {
		// Any number of arguments from the last one on: fine when the
		// keys sit at fixed positions before it.
		if spec.GetKeys != nil || !fixedKeySpecs(spec) {
			a.open = true
			return
		}
		for _, i := range spec.KeyPositions(make([][]byte, len(args)+64), nil) {
			if i >= len(args)-1 {
				a.open = true
				return
			}
			a.keyArg(args[i])
		}
		return
	}
	if spec.GetKeys == nil && simpleKeySpecs(spec) {
		dummy := make([][]byte, len(args))
		for _, i := range spec.KeyPositions(dummy, nil) {
			a.keyArg(args[i])
		}
		return
	}
	for _, e := range args[first:] {
		a.keyArg(e)
	}
}

// simpleKeySpecs: the key positions depend only on the number of arguments.
func simpleKeySpecs(spec *command.Spec) bool {
	for i := range spec.KeySpecs {
		ks := &spec.KeySpecs[i]
		if ks.KeyNum || ks.BeginKeyword != "" || ks.BeginUnknown || ks.FindUnknown {
			return false
		}
	}
	return true
}

// fixedKeySpecs: the key positions do not depend on the arguments at all
// (while there are enough of them).
func fixedKeySpecs(spec *command.Spec) bool {
	for i := range spec.KeySpecs {
		if ks := &spec.KeySpecs[i]; ks.LastKey < 0 {
			return false
		}
	}
	return simpleKeySpecs(spec)
}
