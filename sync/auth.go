package sync

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// ErrUnknownHost is returned when an SSH remote presents a host key that
// the known_hosts file does not list for it, and ErrHostKeyMismatch when the
// file lists other keys for the host.
var (
	ErrUnknownHost     = errors.New("sync: ssh host is not in known_hosts")
	ErrHostKeyMismatch = errors.New("sync: ssh host key does not match known_hosts")
)

// DefaultTokenUser is the user name sent with a token that has none. GitHub,
// GitLab and Gitea accept a token as the password with any non-empty user
// name; Bitbucket wants "x-token-auth:<token>" in the token file.
const DefaultTokenUser = "git"

// defaultSSHUser is the user of an SSH URL that names none, as in
// ssh://host/repo.git.
const defaultSSHUser = "git"

// newAuth reads the credentials that cfg names for the transport of url
// (already normalized). It returns nil for a remote without credentials.
// Its errors name files, never their content.
func newAuth(cfg GitConfig, url string) (transport.AuthMethod, error) {
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return nil, fmt.Errorf("sync: parse url %s: %w", redactURL(url), scrub(err))
	}
	switch ep.Protocol {
	case "http", "https":
		if cfg.SSHKeyFile != "" || cfg.KnownHostsFile != "" {
			return nil, fmt.Errorf("sync: auth.sshKeyFile and auth.knownHostsFile are for ssh remotes, not %s", redactURL(url))
		}
		if cfg.TokenFile == "" {
			return nil, nil
		}
		if ep.User != "" || ep.Password != "" {
			return nil, fmt.Errorf("sync: url %s holds credentials and auth.tokenFile is set: use only one", redactURL(url))
		}
		return tokenAuth(cfg.TokenFile)
	case "ssh":
		if cfg.TokenFile != "" {
			return nil, fmt.Errorf("sync: auth.tokenFile is for http(s) remotes, not %s", redactURL(url))
		}
		if cfg.SSHKeyFile == "" {
			return nil, fmt.Errorf("sync: ssh remote %s needs auth.sshKeyFile", redactURL(url))
		}
		return sshAuth(cfg, ep)
	default:
		if cfg.TokenFile != "" || cfg.SSHKeyFile != "" || cfg.KnownHostsFile != "" {
			return nil, fmt.Errorf("sync: auth is set but remote %s is local", redactURL(url))
		}
		return nil, nil
	}
}

// tokenAuth reads an HTTP basic auth from file: "user:password" or a token
// alone, sent as the password of DefaultTokenUser.
func tokenAuth(file string) (*githttp.BasicAuth, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("sync: read auth.tokenFile: %w", err)
	}
	secret := strings.TrimSpace(string(data))
	switch {
	case secret == "":
		return nil, fmt.Errorf("sync: auth.tokenFile %s is empty", file)
	case strings.ContainsAny(secret, "\r\n"):
		return nil, fmt.Errorf("sync: auth.tokenFile %s has more than one line", file)
	}
	user, password, ok := strings.Cut(secret, ":")
	if !ok {
		user, password = DefaultTokenUser, secret
	}
	if user == "" || password == "" {
		return nil, fmt.Errorf("sync: auth.tokenFile %s: want a token or user:password", file)
	}
	return &githttp.BasicAuth{Username: user, Password: password}, nil
}

// sshAuth reads the private key and the known_hosts file for ep.
func sshAuth(cfg GitConfig, ep *transport.Endpoint) (*gitssh.PublicKeys, error) {
	key, err := os.ReadFile(cfg.SSHKeyFile)
	if err != nil {
		return nil, fmt.Errorf("sync: read auth.sshKeyFile: %w", err)
	}
	signer, err := ssh.ParsePrivateKey(key)
	var missing *ssh.PassphraseMissingError
	if errors.As(err, &missing) {
		return nil, fmt.Errorf("sync: auth.sshKeyFile %s is encrypted with a passphrase, which is not supported", cfg.SSHKeyFile)
	}
	if err != nil {
		// The parser's errors describe the format, not the key.
		return nil, fmt.Errorf("sync: parse auth.sshKeyFile %s: %w", cfg.SSHKeyFile, err)
	}
	known := cfg.KnownHostsFile
	if known == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("sync: find known_hosts: %w; set auth.knownHostsFile", err)
		}
		known = filepath.Join(home, ".ssh", "known_hosts")
	}
	if _, err := os.Stat(known); err != nil {
		return nil, fmt.Errorf("sync: known_hosts for ssh remote: %w; set auth.knownHostsFile", err)
	}
	db, err := gitssh.NewKnownHostsDb(known)
	if err != nil {
		return nil, fmt.Errorf("sync: read known_hosts %s: %w", known, err)
	}
	user := ep.User
	if user == "" {
		user = defaultSSHUser
	}
	host := net.JoinHostPort(ep.Host, fmt.Sprint(ep.Port))
	if ep.Port == 0 {
		host = net.JoinHostPort(ep.Host, "22")
	}
	check := db.HostKeyCallback()
	auth := &gitssh.PublicKeys{User: user, Signer: signer}
	auth.HostKeyCallback = func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		return hostKeyError(check(hostname, remote, key), hostname, known, key)
	}
	// Offer the algorithms of the keys known for the host first, so that
	// a host with several keys shows the one the file lists.
	auth.HostKeyAlgorithms = db.HostKeyAlgorithms(host)
	return auth, nil
}

// hostKeyError turns an error of known_hosts checking into one that names
// the host, the file and the key offered.
func hostKeyError(err error, host, file string, key ssh.PublicKey) error {
	var ke *knownhosts.KeyError
	switch {
	case err == nil:
		return nil
	case !errors.As(err, &ke):
		return fmt.Errorf("sync: check host key of %s against %s: %w", host, file, err)
	case len(ke.Want) == 0:
		return fmt.Errorf("%w: host %s offers %s key %s, and %s does not list the host",
			ErrUnknownHost, host, key.Type(), ssh.FingerprintSHA256(key), file)
	default:
		return fmt.Errorf("%w: host %s offers %s key %s, which is not the key %s lists at line %d",
			ErrHostKeyMismatch, host, key.Type(), ssh.FingerprintSHA256(key), ke.Want[0].Filename, ke.Want[0].Line)
	}
}
