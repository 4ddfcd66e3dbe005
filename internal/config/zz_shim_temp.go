package config

// Temporary shim until the real config package lands; replaced on merge.

import (
	"fmt"
	"strconv"
	"sync"
)

type SavePoint struct{ Seconds, Changes int }

type Config struct {
	mu                     sync.RWMutex
	Port                   int
	Bind                   []string
	ProtectedMode          bool
	Dir                    string
	Logfile                string
	Loglevel               string
	Pidfile                string
	Requirepass            string
	Maxclients             int
	Timeout                int
	TCPKeepalive           int
	Databases              int
	Appendonly             bool
	Maxmemory              int64
	MaxmemoryPolicy        string
	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64
	ClusterEnabled         bool
	// Cluster options (shim: the real config package reconciles these).
	ClusterConfigFile            string // cluster-config-file
	ClusterNodeTimeout           int64  // cluster-node-timeout, ms
	ClusterPort                  int    // cluster-port, 0 = port+10000
	ClusterAnnounceIP            string
	ClusterAnnouncePort          int
	ClusterAnnounceBusPort       int
	ClusterAnnounceHostname      string
	ClusterPreferredEndpointType string // ip, hostname, unknown-endpoint
	ClusterRequireFullCoverage   bool
	ClusterAllowReadsWhenDown    bool
	ClusterAllowReplicaMigration bool
	Hz                           int
	onSet                        []func(string)
}

func Default() *Config {
	return &Config{Port: 6379, Bind: []string{"*", "-::*"}, ProtectedMode: true, Dir: ".", Loglevel: "notice",
		Maxclients: 10000, TCPKeepalive: 300, Databases: 16, MaxmemoryPolicy: "noeviction",
		ProtoMaxBulkLen: 512 << 20, ClientQueryBufferLimit: 1 << 30, Hz: 10,
		ClusterConfigFile: "nodes.conf", ClusterNodeTimeout: 15000, ClusterPreferredEndpointType: "ip",
		ClusterRequireFullCoverage: true, ClusterAllowReplicaMigration: true}
}

func Load(path string, args []string) (*Config, error) {
	c := Default()
	for i := 0; i+1 < len(args); i += 2 {
		v := args[i+1]
		switch args[i] {
		case "--port":
			c.Port, _ = strconv.Atoi(v)
		case "--bind":
			c.Bind = []string{v}
		case "--dir":
			c.Dir = v
		case "--requirepass":
			c.Requirepass = v
		case "--cluster-enabled":
			c.ClusterEnabled = v == "yes"
		case "--cluster-config-file":
			c.ClusterConfigFile = v
		case "--cluster-node-timeout":
			c.ClusterNodeTimeout, _ = strconv.ParseInt(v, 10, 64)
		case "--cluster-port":
			c.ClusterPort, _ = strconv.Atoi(v)
		case "--cluster-announce-ip":
			c.ClusterAnnounceIP = v
		case "--cluster-announce-port":
			c.ClusterAnnouncePort, _ = strconv.Atoi(v)
		case "--cluster-announce-bus-port":
			c.ClusterAnnounceBusPort, _ = strconv.Atoi(v)
		case "--cluster-announce-hostname":
			c.ClusterAnnounceHostname = v
		case "--cluster-preferred-endpoint-type":
			c.ClusterPreferredEndpointType = v
		case "--cluster-require-full-coverage":
			c.ClusterRequireFullCoverage = v == "yes"
		case "--cluster-allow-reads-when-down":
			c.ClusterAllowReadsWhenDown = v == "yes"
		case "--cluster-allow-replica-migration":
			c.ClusterAllowReplicaMigration = v == "yes"
		case "--logfile":
			c.Logfile = v
		case "--save", "--appendonly", "--loglevel", "--daemonize":
		default:
			return nil, fmt.Errorf("bad directive %s", args[i])
		}
	}
	return c, nil
}
func (c *Config) Get(patterns ...string) [][2]string { return nil }
func (c *Config) Set(pairs [][2]string) error        { return fmt.Errorf("ERR not yet") }
func (c *Config) Rewrite() error                     { return fmt.Errorf("ERR not yet") }
func (c *Config) File() string                       { return "" }
func (c *Config) OnSet(fn func(string))              { c.onSet = append(c.onSet, fn) }
func (c *Config) RLock()                             { c.mu.RLock() }
func (c *Config) RUnlock()                           { c.mu.RUnlock() }
func (c *Config) Lock()                              { c.mu.Lock() }
func (c *Config) Unlock()                            { c.mu.Unlock() }
