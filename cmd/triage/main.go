// Command triage is the complaint-triage service and its tools. Its
// subcommands (serve, classify, train, eval, ingest, search, suggest)
// arrive with their issues.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "usage: triage <command>; no commands are available in this build yet")
	os.Exit(2)
}
