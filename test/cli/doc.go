// Package cli_test runs shoal-cli beside redis-cli 7.0.15: the same
// invocations against the same servers (one-shot, piped, --raw, --csv, -3,
// tty formatting through FAKETTY, -c redirections), every --cluster
// subcommand on twin clusters with the output normalised (node IDs, ports,
// random replica choices, node order), the tutorial on a Shoal cluster with
// shoal-cli alone, the local cluster command, and the REPL in a
// pseudo-terminal.
//
// Fixed ports (cluster tests need port+10000 for the bus): 21500-21599.
package cli_test
