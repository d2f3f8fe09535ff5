package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/translate"
)

func newValidateCmd() *cobra.Command {
	var o output
	var controller, ageKeyFile string
	var strict bool
	var regexSize int
	cmd := &cobra.Command{
		Use:   "validate DIR",
		Short: "Translate a directory of YAML as one revision and print every object's status",
		Long: `Loads every .yaml, .yml and .json file under DIR as one revision, translates it
and prints each object's status; warnings (such as a kind sluice does not
know, which it ignores) follow the table. Exits 1 when the YAML cannot be
parsed or any object is rejected; with --strict also when there is any
warning or DIR holds no object at all. -o wide adds each object's file and
line.`,
		Example: `  sluice validate examples/quickstart
  sluice validate --strict gateways/      # in CI: unknown kinds and empty input fail too
  sluice validate gateways/ -o json | jq '.status[] | select(.kind == "HTTPRoute")'`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := readAgeKeys(ageKeyFile, "--age-key-file")
			if err != nil {
				return err
			}
			res, err := translate.Translate(os.DirFS(args[0]), translate.Options{ControllerName: controller, Decryption: keys, RegexProgramSize: regexSize})
			if err != nil {
				return fmt.Errorf("validate %s: %w", args[0], err)
			}
			out := cmd.OutOrStdout()
			if done, err := o.structured(out, res); done && err != nil {
				return err
			} else if !done {
				printStatusTable(out, res, o.wide())
			}
			return validateExit(cmd, args[0], res, strict)
		},
	}
	addOutput(cmd, &o, "table", "wide", "json", "yaml")
	cmd.Flags().BoolVar(&strict, "strict", false, "also fail on warnings (unknown kinds, ignored objects) and on a directory with no objects")
	cmd.Flags().IntVar(&regexSize, "regex-program-size", 0, "largest RE2 program size of a regex (Envoy's re2.max_program_size.error_level; default 100)")
	ageKeyFlag(cmd, &ageKeyFile)
	cmd.Flags().StringVar(&controller, "controller-name", "", "GatewayClass controllerName to manage (default "+translate.DefaultControllerName+")")
	return cmd
}

// validateExit is the verdict of validate: rejected objects fail; with
// strict, warnings and empty input fail too.
func validateExit(cmd *cobra.Command, dir string, res *translate.Result, strict bool) error {
	if n := len(res.Rejected()); n > 0 {
		return exitError{msg: fmt.Sprintf("%d objects rejected", n)}
	}
	if len(res.Status) == 0 {
		if strict {
			return fmt.Errorf("validate %s: no object found (.yaml, .yml or .json files of known kinds)", dir)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s holds no object sluice reads (.yaml, .yml or .json files of known kinds)\n", dir)
	}
	if strict && len(res.Warnings) > 0 {
		return fmt.Errorf("validate %s: %d warning(s), and --strict fails on warnings", dir, len(res.Warnings))
	}
	return nil
}

// printStatusTable prints one row per condition: object, condition, reason, message.
// With wide, a LOCATION column (file:line) comes first.
func printStatusTable(w io.Writer, res *translate.Result, wide bool) {
	tw := newTable(w)
	if wide {
		fmt.Fprint(tw, "LOCATION\t")
	}
	fmt.Fprintln(tw, "KIND\tNAMESPACE/NAME\tSCOPE\tCONDITION\tREASON\tMESSAGE")
	row := func(s *translate.ObjectStatus, scope string, c translate.Condition) {
		if wide {
			fmt.Fprint(tw, s.Location.String(), "\t")
		}
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
			attachmentRows(tw, s, a, wide)
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
func attachmentRows(w io.Writer, s *translate.ObjectStatus, a translate.PolicyAttachment, wide bool) {
	row := func(what, message string) {
		if wide {
			fmt.Fprint(w, s.Location.String(), "\t")
		}
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
