package envoyproc

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
)

// States of an Envoy process.
const (
	StateStarting = "starting"
	StateRunning  = "running"
	StateDraining = "draining"
	StateBackoff  = "backoff" // exited; restarts after a wait
	StateFailed   = "failed"  // could not start (no binary, bad bootstrap); retried
	StateStopped  = "stopped"
)

// Status is one Envoy's process state.
type Status struct {
	Gateway   string     `json:"gateway"`
	NodeID    string     `json:"nodeID"`
	State     string     `json:"state"`
	PID       int        `json:"pid,omitempty"`
	BaseID    int        `json:"baseID"`
	Epoch     int        `json:"restartEpoch"`
	Restarts  int        `json:"restarts"`
	StartedAt *time.Time `json:"startedAt,omitempty"`
	// LastExit says how the last process ended, or why it did not start.
	LastExit  string `json:"lastExit,omitempty"`
	Bootstrap string `json:"bootstrap"`
}

// proc is the Envoy of one gateway.
type proc struct {
	sup     *Supervisor
	gateway string
	file    string // file name stem: NAMESPACE-NAME
	baseID  int
	reload  chan struct{}

	mu        sync.Mutex
	status    Status
	bootstrap []byte // last written
}

func (p *proc) snapshot() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

func (p *proc) update(fn func(*Status)) {
	p.mu.Lock()
	fn(&p.status)
	st := p.status
	p.mu.Unlock()
	p.sup.metrics.set(st)
}

func (p *proc) adminFile(epoch int) string {
	return filepath.Join(p.sup.opts.Dir, fmt.Sprintf("%s.admin.%d", p.file, epoch))
}

// writeBootstrap writes the bootstrap of this Envoy and says whether it
// changed.
func (p *proc) writeBootstrap(opts bootstrap.Options) (bool, error) {
	opts.Gateway, opts.NodeID = p.gateway, p.status.NodeID
	opts.AdminAddress = "127.0.0.1:1" // replaced by port 0 below
	b, err := bootstrap.Build(opts)
	if err != nil {
		return false, fmt.Errorf("envoy for %s: %w", p.gateway, err)
	}
	// A free port, which Envoy reports through --admin-address-path.
	b.Admin.Address.GetSocketAddress().PortSpecifier = &corev3.SocketAddress_PortValue{PortValue: 0}
	out, err := bootstrap.YAML(b)
	if err != nil {
		return false, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if bytes.Equal(out, p.bootstrap) {
		return false, nil
	}
	if err := os.WriteFile(p.status.Bootstrap, out, 0o640); err != nil {
		return false, fmt.Errorf("envoy for %s: write bootstrap: %w", p.gateway, err)
	}
	p.bootstrap = out
	return true, nil
}

// run keeps an Envoy running until ctx ends, then drains it.
func (p *proc) run(ctx context.Context) {
	opts := p.sup.opts
	backoff := opts.MinBackoff
	for {
		started := time.Now()
		err := p.serve(ctx)
		if ctx.Err() != nil {
			p.update(func(s *Status) { s.State, s.PID = StateStopped, 0 })
			return
		}
		if time.Since(started) > 2*opts.MaxBackoff {
			backoff = opts.MinBackoff
		}
		p.sup.opts.Logger.Warn("envoy exited; restarting it", "gateway", p.gateway, "err", err.Error(), "in", backoff.String())
		p.update(func(s *Status) {
			s.PID, s.LastExit, s.Restarts = 0, err.Error(), s.Restarts+1
			if s.State != StateFailed {
				s.State = StateBackoff
			}
		})
		p.sup.metrics.restarts.WithLabelValues(p.gateway).Inc()
		select {
		case <-ctx.Done():
			p.update(func(s *Status) { s.State = StateStopped })
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, opts.MaxBackoff)
	}
}

// serve starts an Envoy at epoch 0 and waits for it, hot-restarting it
// when asked; it returns when the newest Envoy exits, or, once ctx ends,
// after draining it.
func (p *proc) serve(ctx context.Context) error {
	c, err := p.start(0)
	if err != nil {
		return err
	}
	for {
		select {
		case <-c.done:
			return c.exitErr()
		case <-p.reload:
			next, err := p.start(c.epoch + 1)
			if err != nil {
				p.sup.opts.Logger.Error("envoy hot restart failed; the running one goes on", "gateway", p.gateway, "err", err.Error())
				p.update(func(s *Status) { s.State, s.PID, s.Epoch = StateRunning, c.cmd.Process.Pid, c.epoch })
				continue
			}
			// The new Envoy takes the listeners over; the old one drains.
			old := c
			p.sup.wg.Go(func() { p.stop(old) })
			c = next
		case <-ctx.Done():
			p.update(func(s *Status) { s.State = StateDraining })
			p.stop(c)
			return ctx.Err()
		}
	}
}

// child is one Envoy process.
type child struct {
	cmd   *exec.Cmd
	epoch int
	done  chan struct{} // closed when it exited and its logs are read
	err   error
}

func (c *child) exitErr() error {
	if c.err == nil {
		return fmt.Errorf("envoy (pid %d) exited with status 0", c.cmd.Process.Pid)
	}
	return fmt.Errorf("envoy (pid %d): %w", c.cmd.Process.Pid, c.err)
}

// start starts an Envoy at epoch.
func (p *proc) start(epoch int) (*child, error) {
	bin, err := exec.LookPath(p.sup.opts.Binary)
	if err != nil {
		err = fmt.Errorf("%w: %q: %v (install Envoy, or set envoy.binary in sluice.yaml)", ErrNoBinary, p.sup.opts.Binary, err)
		p.update(func(s *Status) { s.State, s.LastExit = StateFailed, err.Error() })
		return nil, err
	}
	os.Remove(p.adminFile(epoch))
	cmd := exec.Command(bin, p.sup.args(p, epoch)...)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		err = fmt.Errorf("start envoy: %w", err)
		p.update(func(s *Status) { s.State, s.LastExit = StateFailed, err.Error() })
		return nil, err
	}
	c := &child{cmd: cmd, epoch: epoch, done: make(chan struct{})}
	var logs sync.WaitGroup
	logs.Go(func() { p.forward(stdout, cmd.Process.Pid) })
	logs.Go(func() { p.forward(stderr, cmd.Process.Pid) })
	go func() {
		logs.Wait() // Wait closes the pipes: read them to the end first
		c.err = cmd.Wait()
		close(c.done)
	}()
	now := time.Now()
	p.update(func(s *Status) {
		s.State, s.PID, s.Epoch, s.StartedAt = StateRunning, cmd.Process.Pid, epoch, &now
	})
	p.sup.opts.Logger.Info("envoy started", "gateway", p.gateway, "pid", cmd.Process.Pid, "restartEpoch", epoch, "binary", bin)
	return c, nil
}

// forward logs each line of r as sluice's, naming the gateway.
func (p *proc) forward(r io.Reader, pid int) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.sup.opts.Logger.Log(context.Background(), logLevel(line), "envoy: "+line, "gateway", p.gateway, "pid", pid)
	}
}

// stop drains an Envoy through its admin, waits DrainTime (or its exit),
// then sends SIGTERM, and SIGKILL after 5 more seconds.
func (p *proc) stop(c *child) {
	drain := p.sup.opts.DrainTime
	if err := drainListeners(p.adminFile(c.epoch), c.done); err != nil {
		p.sup.opts.Logger.Warn("envoy drain failed; stopping it at once", "gateway", p.gateway, "pid", c.cmd.Process.Pid, "err", err.Error())
		drain = 0
	}
	select {
	case <-c.done:
		return
	case <-time.After(drain):
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.cmd.Process.Kill()
		<-c.done
	}
}
