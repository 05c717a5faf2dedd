// Command fhirlake is the fhirlake server and its command-line client.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	root := &cobra.Command{
		Use:           "fhirlake",
		Short:         "fhirlake: a FHIR R4 health data lake in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(commands()...)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "fhirlake:", err)
		os.Exit(1)
	}
}

// commands lists the subcommands; each lives in a file of its own.
func commands() []*cobra.Command {
	return []*cobra.Command{serveCommand(), datastoreCommand(), importCommand(), queryCommand(), synthCommand()}
}
