package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// argsEnv makes the test binary run sluice's main with the JSON list of
// arguments it holds: tests start real sluice processes (to kill one with
// SIGKILL, or run two at once) without building the binary.
const argsEnv = "SLUICE_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if env := os.Getenv(argsEnv); env != "" {
		var args []string
		if err := json.Unmarshal([]byte(env), &args); err != nil {
			panic(err)
		}
		os.Args = append([]string{"sluice"}, args...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// process is a sluice started as a process of its own.
type process struct {
	cmd *exec.Cmd
	// serving receives the admin URL and xDS address once it serves.
	serving chan [2]string
	exited  chan struct{}

	mu     sync.Mutex
	stderr bytes.Buffer
}

// servingLine is the log line of runServe's ready callback.
var servingLine = regexp.MustCompile(`msg="sluice is serving" xds=(\S+) admin=(\S+)`)

// startProcess runs sluice with args in a new process, logging to the
// test. The process is killed when the test ends.
func startProcess(t *testing.T, args ...string) *process {
	t.Helper()
	env, _ := json.Marshal(args)
	p := &process{cmd: exec.Command(os.Args[0]), serving: make(chan [2]string, 1), exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), argsEnv+"="+string(env))
	out, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := servingLine.FindStringSubmatch(sc.Text()); m != nil {
				p.serving <- [2]string{m[2], m[1]}
			}
		}
		p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("sluice pid %d logged:\n%s", p.cmd.Process.Pid, p.log())
		}
	})
	return p
}

func (p *process) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// wait returns the admin URL and the xDS address once the process serves.
func (p *process) wait(t *testing.T) (admin, xds string) {
	t.Helper()
	select {
	case a := <-p.serving:
		return a[0], a[1]
	case <-p.exited:
		t.Fatalf("sluice exited before serving (%v):\n%s", p.cmd.ProcessState, p.log())
	case <-time.After(waitTimeout):
		t.Fatalf("sluice did not serve within %s:\n%s", waitTimeout, p.log())
	}
	return "", ""
}

// waitExit waits for the process to exit on its own and returns its exit
// code.
func (p *process) waitExit(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(waitTimeout):
		t.Fatalf("sluice did not exit within %s:\n%s", waitTimeout, p.log())
	}
	return 0
}

// kill ends the process with SIGKILL, as a crash would.
func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// writeConfig writes a sluice.yaml in dir and returns its path.
func writeConfig(t *testing.T, dir, yaml string) string {
	t.Helper()
	path := dir + "/sluice.yaml"
	if err := os.WriteFile(path, []byte(strings.TrimSpace(yaml)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitReady polls admin's /readyz until it answers 200.
func waitReady(t *testing.T, admin string) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		resp, err := http.Get(admin + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz never answered 200 (last: %v)", admin, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
