package gittest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

// SSHServer is a real OpenSSH sshd on a 127.0.0.1 port that lets the
// current user in with one generated key. Git runs through the user's
// shell, as on any Git host reached over SSH.
type SSHServer struct {
	// Addr is 127.0.0.1:<port>.
	Addr string
	// User is the current user, whom the server lets in.
	User string
	// KeyFile is the unencrypted private key the server accepts.
	KeyFile string
	// KnownHosts is a known_hosts file that lists the server's host key.
	KnownHosts string
	// HostKey is the server's public host key in authorized_keys format.
	HostKey string
}

// NewSSHServer starts sshd (from /usr/sbin or PATH) until the test ends.
// It skips the test, saying why, when there is no sshd or it cannot run
// here; as root, sshd also needs its privilege separation directory
// (/run/sshd, made by the openssh-server package's service).
func NewSSHServer(t testing.TB) *SSHServer {
	t.Helper()
	sshd, err := exec.LookPath("/usr/sbin/sshd")
	if err != nil {
		if sshd, err = exec.LookPath("sshd"); err != nil {
			t.Skip("gittest: no sshd (install openssh-server) to test the ssh transport")
		}
	}
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("gittest: no ssh-keygen to make keys for sshd")
	}
	u, err := user.Current()
	if err != nil {
		t.Skipf("gittest: current user: %v", err)
	}
	dir := t.TempDir()
	hostKey := KeyGen(t, filepath.Join(dir, "host_ed25519"))
	clientKey := KeyGen(t, filepath.Join(dir, "client_ed25519"))
	if err := os.WriteFile(filepath.Join(dir, "authorized_keys"), []byte(clientKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)

	config := filepath.Join(dir, "sshd_config")
	lines := []string{
		"ListenAddress 127.0.0.1",
		"HostKey " + filepath.Join(dir, "host_ed25519"),
		"AuthorizedKeysFile " + filepath.Join(dir, "authorized_keys"),
		"AllowUsers " + u.Username,
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"StrictModes no",
		"UsePAM no",
		"PidFile none",
		"LogLevel ERROR",
		"SetEnv GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1",
	}
	if err := os.WriteFile(config, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(sshd, "-t", "-f", config, "-p", port).CombinedOutput(); err != nil {
		t.Skipf("gittest: sshd cannot run here: %v: %s", err, out)
	}

	stderr := &lockedWriter{b: new(strings.Builder)}
	cmd := exec.Command(sshd, "-D", "-e", "-f", config, "-p", port)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("sshd log:\n%s", stderr.String())
		}
	})
	if err := waitBanner(addr, 10*time.Second); err != nil {
		t.Fatalf("gittest: sshd on %s: %v", addr, err)
	}
	s := &SSHServer{
		Addr:       addr,
		User:       u.Username,
		KeyFile:    filepath.Join(dir, "client_ed25519"),
		KnownHosts: filepath.Join(dir, "known_hosts"),
		HostKey:    hostKey,
	}
	s.WriteKnownHosts(t, s.KnownHosts, hostKey)
	return s
}

// URL is the ssh:// URL of the bare repository at the absolute path dir,
// such as Server.Dir.
func (s *SSHServer) URL(dir string) string {
	return fmt.Sprintf("ssh://%s@%s%s", s.User, s.Addr, filepath.ToSlash(dir))
}

// WriteKnownHosts writes a known_hosts file to file that lists key (in
// authorized_keys format) for the server's address.
func (s *SSHServer) WriteKnownHosts(t testing.TB, file, key string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.Addr)
	line := fmt.Sprintf("[%s]:%s %s\n", host, port, strings.TrimSpace(key))
	if err := os.WriteFile(file, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
}

// KeyGen makes an unencrypted ed25519 key pair with ssh-keygen, the private
// key at file and the public key at file+".pub", and returns the public key
// in authorized_keys format.
func KeyGen(t testing.TB, file string) string {
	t.Helper()
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gittest", "-f", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	pub, err := os.ReadFile(file + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(pub))
}

// waitBanner dials addr until it answers with an SSH banner.
func waitBanner(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			line, rerr := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if rerr == nil && strings.HasPrefix(line, "SSH-") {
				return nil
			}
			err = rerr
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no ssh banner after %s: %v", timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedWriter lets sshd's stderr be read while it is written.
type lockedWriter struct {
	mu gosync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}
