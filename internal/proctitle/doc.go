// Package proctitle sets the process title ps and /proc/PID/cmdline show,
// as Redis's setproctitle does: the title is written over the memory that
// held the command line (and, when the title needs more room, the
// environment strings after it, once Go's own copies of them are moved
// elsewhere). Only Linux; elsewhere Set does nothing.
package proctitle
