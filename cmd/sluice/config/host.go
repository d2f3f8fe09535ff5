package config

import (
	"fmt"
	"os"
)

// Decryption configures how SOPS-encrypted files of a revision are
// opened: with the age identities in AgeKeyFile (age-keygen's format).
// The plaintext is kept in memory only.
type Decryption struct {
	AgeKeyFile string `json:"ageKeyFile,omitempty" yaml:"ageKeyFile"`
}

// validate checks the key file is there; it is read when sluice starts.
func (d Decryption) validate() []error {
	if d.AgeKeyFile == "" {
		return nil
	}
	fi, err := os.Stat(d.AgeKeyFile)
	switch {
	case err != nil:
		return []error{fmt.Errorf("field decryption.ageKeyFile: %w", err)}
	case !fi.Mode().IsRegular():
		return []error{fmt.Errorf("field decryption.ageKeyFile: %s is not a regular file", d.AgeKeyFile)}
	}
	return nil
}
