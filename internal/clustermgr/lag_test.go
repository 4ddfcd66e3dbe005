package clustermgr

import "testing"

func TestReplicaLag(t *testing.T) {
	master := "# Replication\r\nrole:master\r\nconnected_slaves:1\r\nmaster_repl_offset:5000\r\n"
	for _, tc := range []struct {
		name, replica string
		lag           int64
		status        string
	}{
		{"behind", "role:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:4200\r\n", 800, "up"},
		{"in sync", "role:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:5000\r\n", 0, "up"},
		// The master was asked after the replica: a replica ahead of that
		// reading is not a negative lag.
		{"ahead", "role:slave\r\nmaster_link_status:up\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:5100\r\n", 0, "up"},
		{"down", "role:slave\r\nmaster_link_status:down\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:4200\r\n", 0, "down"},
		{"full sync", "role:slave\r\nmaster_link_status:down\r\nmaster_sync_in_progress:1\r\nslave_repl_offset:0\r\n", 0, "in full sync"},
		{"a master", "role:master\r\nmaster_repl_offset:10\r\n", 0, "unknown (not a replica)"},
	} {
		lag, status := replicaLag(tc.replica, master)
		if lag != tc.lag || status != tc.status {
			t.Errorf("%s: got %d %q, want %d %q", tc.name, lag, status, tc.lag, tc.status)
		}
	}
}
