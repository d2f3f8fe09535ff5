// Package decrypt reads SOPS-encrypted files of a revision in memory, with
// age identities, so that secrets can be kept in Git encrypted.
//
// Keys holds the identities (parsed from the content of
// decryption.ageKeyFile; reading the file is the caller's job). Keys.FS
// wraps a revision's fs.FS: a .yaml, .yml or .json file with SOPS metadata
// reads as its plaintext, any other file as it is. A SOPS file that no
// key opens fails to read with an error naming the recipients it is
// encrypted for, which rejects the revision (translate names the file).
// Plaintext lives only in memory: the file system is never written.
//
// The SOPS format, its MAC and the data key's age envelope are handled by
// SOPS's own packages (github.com/getsops/sops/v3) and filippo.io/age; only
// age recipients are supported. It must not import translate.
package decrypt
