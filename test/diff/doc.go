// Package diff is the differential test suite: the same scripted commands
// go to a real redis-server 7.0.15 and to shoal-server, and the replies must
// be byte-for-byte identical.
//
// Scripts live in testdata/*.txt, one command per line in redis-cli quoting
// ("double quotes" with \n \r \t \a \b \\ \" \xhh escapes, 'single quotes'
// with \' only). Blank lines and lines starting with # are ignored. Lines
// starting with @ are directives:
//
//	@proto 2 | @proto 3 | @proto 2 3   protocols to run the script under (default 2 3)
//	@resp2only                         same as @proto 2
//	@client N                          send the following lines on connection N (default 0)
//	@sleep MS                          pause MS milliseconds (for expiry)
//	@read                              read one pending reply or push, sending nothing
//	@raw "bytes"                       send the bytes as they are (inline commands,
//	                                   malformed frames) and read one reply
//
// and prefixes, combinable, written before a command (or @read/@raw):
//
//	@unordered   compare an array/set/map reply as a multiset of its elements
//	             (map: of its key-value pairs)
//	@float       compare numbers numerically, with a relative tolerance of 1e-9
//	@ignore      run on both servers but do not compare (TIME, CLIENT ID)
//	@noreply     send without reading a reply (CLIENT REPLY OFF, SUBSCRIBE
//	             pushes read later with @read); any stray reply shows up as a
//	             difference on the next read
//
// Each script runs, for each protocol, against a fresh redis-server and a
// fresh shoal-server, starting with FLUSHALL. Under RESP3 every connection
// sends HELLO 3 first (its reply is not compared). At the end of a run every
// connection is drained and any leftover replies are compared too.
//
// testdata/deliberate.txt lists the differences we accept:
// "script.txt:LINE reason" (or "script.txt:LINE@3" for one protocol only).
// Any other difference fails the test.
//
// Run it with
//
//	go test ./test/diff                               # redis vs shoal
//	SHOAL_DIFF_BOTH_REDIS=1 go test ./test/diff -v     # redis vs redis: validates the scripts
//	go test ./test/diff -run 'TestDiff/strings'        # one script
package diff
