package envoyproc_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-gitops/sluice/serve/bootstrap"
	"github.com/sluice-gitops/sluice/serve/envoyproc"
)

const waitTimeout = 20 * time.Second

var fake struct {
	once sync.Once
	path string
	err  error
}

// fakeEnvoy builds testdata/fakeenvoy once for the package's tests.
func fakeEnvoy(t *testing.T) string {
	t.Helper()
	fake.once.Do(func() {
		dir, err := os.MkdirTemp("", "fakeenvoy")
		if err != nil {
			fake.err = err
			return
		}
		fake.path = filepath.Join(dir, "envoy")
		out, err := exec.Command("go", "build", "-o", fake.path, "./testdata/fakeenvoy").CombinedOutput()
		if err != nil {
			fake.err = errors.New(string(out))
		}
	})
	if fake.err != nil {
		t.Fatalf("build fakeenvoy: %v", fake.err)
	}
	return fake.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if fake.path != "" {
		os.RemoveAll(filepath.Dir(fake.path))
	}
	os.Exit(code)
}

// LogBuffer collects a logger's output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type world struct {
	t      *testing.T
	sup    *envoyproc.Supervisor
	logs   *logBuffer
	reg    *prometheus.Registry
	cancel context.CancelFunc
	crash  string // the file that makes fakeenvoy crash
}

func start(t *testing.T, binary string) *world {
	w := &world{t: t, logs: &logBuffer{}, reg: prometheus.NewRegistry(), crash: filepath.Join(t.TempDir(), "crash")}
	t.Setenv("FAKEENVOY_CRASH", w.crash)
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	sup, err := envoyproc.New(ctx, envoyproc.Options{
		Binary: binary, Dir: t.TempDir(), Args: []string{"--concurrency", "2"},
		Bootstrap: bootstrap.Options{XDSAddress: "127.0.0.1:1"},
		DrainTime: 300 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Logger:     slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Registerer: w.reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	w.sup = sup
	t.Cleanup(func() { cancel(); sup.Wait() })
	return w
}

// waitFor polls the status of gateway until cond holds.
func (w *world) waitFor(what string, cond func(envoyproc.Status) bool) envoyproc.Status {
	w.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		for _, s := range w.sup.Status() {
			if cond(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("never %s: %+v\nlog:\n%s", what, w.sup.Status(), w.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (w *world) waitLog(s string) {
	w.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !strings.Contains(w.logs.String(), s) {
		if time.Now().After(deadline) {
			w.t.Fatalf("the log never said %q:\n%s", s, w.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func running(epoch int) func(envoyproc.Status) bool {
	return func(s envoyproc.Status) bool {
		return s.State == envoyproc.StateRunning && s.Epoch == epoch && s.PID != 0
	}
}

func alive(pid int) bool {
	_, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
	return err == nil
}
