package script

import "unsafe"

// CacheBytes is what the EVAL script cache holds (INFO
// used_memory_scripts_eval, MEMORY STATS lua.caches): each script's body
// and SHA with its Script and map entry. Compiled code is not counted.
func (e *Engine) CacheBytes() int64 {
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := int64(0)
	for sha, sc := range e.scripts {
		n += int64(len(sha)+len(sc.Body)) + int64(unsafe.Sizeof(*sc)) + mapEntryBytes
	}
	return n
}

// CacheBytes is what the function libraries hold (INFO
// used_memory_functions, MEMORY STATS functions.caches): each library's
// code and name and each function's name, with their structs and map
// entries. Compiled code is not counted.
func (f *Functions) CacheBytes() int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := int64(0)
	for name, lib := range f.libs {
		n += int64(len(name)+len(lib.Code)) + int64(unsafe.Sizeof(*lib)) + mapEntryBytes
	}
	for name, fn := range f.funcs {
		n += int64(len(name)) + int64(unsafe.Sizeof(*fn)) + mapEntryBytes
	}
	return n
}

// mapEntryBytes is a map[string]pointer entry: the key's header and the
// pointer.
const mapEntryBytes = int64(unsafe.Sizeof("") + unsafe.Sizeof(uintptr(0)))
