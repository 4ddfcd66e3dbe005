package localcluster

// Main runs shoal-cli --cluster-local args and returns the exit code.
func Main(args []string) int { return 1 }
