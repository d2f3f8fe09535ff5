package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sluice-gitops/sluice/translate/decrypt"
)

// readAgeKeys reads the age identities that open SOPS files; what names
// the setting in errors. An empty path is no keys.
func readAgeKeys(path, what string) (*decrypt.Keys, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	k, err := decrypt.ParseAgeKeys(b)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, path, err)
	}
	return k, nil
}

// ageKeyFlag adds --age-key-file to an offline command.
func ageKeyFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "age-key-file", os.Getenv("SLUICE_AGE_KEY_FILE"), "age identities (age-keygen format) that open SOPS-encrypted files; default $SLUICE_AGE_KEY_FILE")
}
