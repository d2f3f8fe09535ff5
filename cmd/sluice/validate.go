package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/translate"
)

func newValidateCmd() *cobra.Command {
	var output, controller, ageKeyFile string
	cmd := &cobra.Command{
		Use:   "validate DIR",
		Short: "Translate a directory of YAML as one revision and print every object's status",
		Long: "Loads every .yaml, .yml and .json file under DIR as one revision, translates it\n" +
			"and prints each object's status. Exits 1 when the YAML cannot be parsed or any\n" +
			"object is rejected.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := readAgeKeys(ageKeyFile, "--age-key-file")
			if err != nil {
				return err
			}
			res, err := translate.Translate(os.DirFS(args[0]), translate.Options{ControllerName: controller, Decryption: keys})
			if err != nil {
				return fmt.Errorf("validate %s: %w", args[0], err)
			}
			out := cmd.OutOrStdout()
			switch output {
			case "json":
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				if err := enc.Encode(res); err != nil {
					return err
				}
			case "table", "":
				printStatusTable(out, res)
			default:
				return fmt.Errorf("unknown output format %q (table, json)", output)
			}
			if n := len(res.Rejected()); n > 0 {
				return exitError{fmt.Sprintf("%d objects rejected", n)}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	ageKeyFlag(cmd, &ageKeyFile)
	cmd.Flags().StringVar(&controller, "controller-name", "", "GatewayClass controllerName to manage (default "+translate.DefaultControllerName+")")
	return cmd
}

// printStatusTable prints one row per condition: object, condition, reason, message.
func printStatusTable(w interface{ Write([]byte) (int, error) }, res *translate.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAMESPACE/NAME\tSCOPE\tCONDITION\tREASON\tMESSAGE")
	row := func(s *translate.ObjectStatus, scope string, c translate.Condition) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s=%s\t%s\t%s\n", s.Kind, qualifiedName(s.Namespace, s.Name), scope, c.Type, c.Status, c.Reason, c.Message)
	}
	for _, s := range res.Status {
		for _, c := range s.Conditions {
			row(s, "-", c)
		}
		for _, l := range s.Listeners {
			for _, c := range l.Conditions {
				row(s, "listener "+l.Name, c)
			}
		}
		for _, p := range s.Parents {
			for _, c := range p.Conditions {
				row(s, "parent "+p.ParentRef, c)
			}
		}
		for _, a := range s.Ancestors {
			for _, c := range a.Conditions {
				row(s, "ancestor "+a.AncestorRef, c)
			}
		}
		for _, a := range s.Attachments {
			attachmentRows(tw, s, a)
		}
	}
	tw.Flush()
	for _, warn := range res.Warnings {
		fmt.Fprintln(w, "warning:", warn)
	}
}

func qualifiedName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// attachmentRows explain where a policy is in force through one of its
// targets and where it lost, naming the winner.
func attachmentRows(w io.Writer, s *translate.ObjectStatus, a translate.PolicyAttachment) {
	row := func(what, message string) {
		fmt.Fprintf(w, "%s\t%s\ttarget %s\t%s\t-\t%s\n", s.Kind, qualifiedName(s.Namespace, s.Name), a.Target, what, message)
	}
	switch {
	case a.LostTo != "":
		row("Lost", "to "+a.LostTo)
		return
	case len(a.InForce) == 0 && len(a.Overridden) == 0:
		row("InForce", "nothing: no route or listener is reached through this target")
		return
	}
	if len(a.InForce) > 0 {
		row("InForce", strings.Join(a.InForce, ", "))
	}
	if len(a.Overridden) > 0 {
		row("Overridden", strings.Join(a.Overridden, ", "))
	}
}
