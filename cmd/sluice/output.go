package main

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// output is the -o flag of a command that prints objects: every such
// command takes it the same way and refuses a format it does not know.
type output struct {
	format  string
	formats []string
}

// addOutput adds -o/--output to cmd with the formats it prints, the first
// being the default, its shell completion, and a check before the command
// runs.
func addOutput(cmd *cobra.Command, o *output, formats ...string) {
	o.formats = formats
	cmd.Flags().StringVarP(&o.format, "output", "o", formats[0], "output format: "+strings.Join(formats, ", "))
	cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return formats, cobra.ShellCompDirectiveNoFileComp
	})
	next := cmd.PreRunE
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		if !slices.Contains(o.formats, o.format) {
			return fmt.Errorf("unknown output format %q for %s: use %s", o.format, cmd.Name(), strings.Join(o.formats, ", "))
		}
		if next != nil {
			return next(cmd, args)
		}
		return nil
	}
}

// structured prints v as JSON or YAML when that is the format, and
// reports whether it did.
func (o *output) structured(w io.Writer, v any) (bool, error) {
	switch o.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return true, enc.Encode(v)
	case "yaml":
		b, err := yaml.Marshal(v)
		if err == nil {
			_, err = w.Write(b)
		}
		return true, err
	}
	return false, nil
}

// wide reports whether the wide table was asked for.
func (o *output) wide() bool { return o.format == "wide" }

// newTable returns a writer of aligned columns; Flush it.
func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// age prints how long ago t was, as kubectl does: 45s, 12m, 5h, 3d.
func age(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		return "0s"
	case d < 2*time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < 2*time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	}
	return fmt.Sprintf("%dd", int(d.Hours()/24))
}

// ageOf is age of a time that may be missing.
func ageOf(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	return age(*t, now)
}

// shortSHA is the first 8 characters of a SHA, as the tables print it.
func shortSHA(sha string) string {
	if len(sha) > 8 {
		return sha[:8]
	}
	return sha
}

// clip shortens s to n runes, marking the cut with "…"; "" prints as "-".
func clip(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if s == "" {
		return "-"
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
