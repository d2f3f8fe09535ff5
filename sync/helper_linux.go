package sync

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// killHelpers kills this process's children that serve the repository at
// path (git-upload-pack PATH, as go-git's file transport runs it), and
// their descendants, found in /proc.
func killHelpers(path string) {
	parents := map[int][]int{} // ppid -> children
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, stat := range procs {
		pid, ppid, ok := readStat(stat)
		if ok {
			parents[ppid] = append(parents[ppid], pid)
		}
	}
	for _, child := range parents[os.Getpid()] {
		if servesRepo(child, path) {
			killTree(child, parents)
		}
	}
}

// readStat returns the pid and parent pid of a /proc/PID/stat file.
func readStat(file string) (pid, ppid int, ok bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, 0, false
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	end := bytes.LastIndexByte(b, ')')
	fields := strings.Fields(string(b[min(end+1, len(b)):]))
	if end < 0 || len(fields) < 2 {
		return 0, 0, false
	}
	pid, err1 := strconv.Atoi(strings.Fields(string(b[:end]))[0])
	ppid, err2 := strconv.Atoi(fields[1])
	return pid, ppid, err1 == nil && err2 == nil
}

// servesRepo reports whether process pid runs an upload-pack of path.
func servesRepo(pid int, path string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	return len(args) >= 2 && strings.Contains(filepath.Base(args[0]), "upload-pack") && args[len(args)-1] == path
}

// killTree kills pid and its descendants, children first seen first.
func killTree(pid int, parents map[int][]int) {
	_ = syscall.Kill(pid, syscall.SIGKILL)
	for _, c := range parents[pid] {
		killTree(c, parents)
	}
}
