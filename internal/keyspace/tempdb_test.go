package keyspace

import "testing"

// TestSwapInTemp: keys loaded into a NewTemp keyspace become the
// keyspace's after SwapIn, in every database, with their counts and byte
// totals; the old keys end in the temp keyspace and DropTemp frees them.
func TestSwapInTemp(t *testing.T) {
	ks := New(2)
	ks.DB(0).PutNew([]byte("old"), Value{Str: "v"}, -1)
	ks.DB(1).PutNew([]byte("old1"), Value{Str: "v"}, 1<<60)
	oldBytes := ks.NetBytes()
	tmp := ks.NewTemp()
	for _, k := range []string{"a", "b", "c"} {
		tmp.DB(0).PutNew([]byte(k), Value{Str: "new"}, -1)
	}
	if ks.DB(0).Exists([]byte("a")) || ks.DB(0).Len() != 1 {
		t.Fatal("keys loaded aside are visible before the swap")
	}
	newBytes := tmp.NetBytes()
	ks.LockAll()
	ks.SwapIn(tmp)
	ks.UnlockAll()
	if ks.DB(0).Len() != 3 || !ks.DB(0).Exists([]byte("b")) || ks.DB(0).Exists([]byte("old")) {
		t.Fatalf("db 0 after the swap: %d keys", ks.DB(0).Len())
	}
	if ks.DB(1).Len() != 0 || ks.DB(1).Volatile() != 0 {
		t.Fatalf("db 1 after the swap: %d keys, %d volatile", ks.DB(1).Len(), ks.DB(1).Volatile())
	}
	if ks.NetBytes() != newBytes || tmp.NetBytes() != oldBytes {
		t.Fatalf("bytes: keyspace %d (want %d), temp %d (want %d)", ks.NetBytes(), newBytes, tmp.NetBytes(), oldBytes)
	}
	ks.DropTemp(tmp)
	if tmp.DB(0).Len() != 0 || tmp.DB(1).Len() != 0 {
		t.Fatal("DropTemp left keys")
	}
	if v, ok := ks.DB(0).Lookup([]byte("c")); !ok || v.Str != "new" {
		t.Fatalf("c after DropTemp: %q %v", v.Str, ok)
	}
}
