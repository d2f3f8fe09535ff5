package load

import (
	"fmt"
	"io/fs"
	"sync/atomic"

	yaml "go.yaml.in/yaml/v3"

	"github.com/sluice-gitops/sluice/translate/status"
)

// Limits bound what reading one revision may cost, so that no commit, however
// hostile, costs more than a small multiple of them in memory: a revision over
// one of them is rejected (a *ParseError wrapping a *LimitError naming the
// file at which the revision went over) and nothing of it is translated. Zero
// fields take the Default values. sluice.yaml sets them under limits.
type Limits struct {
	// RevisionBytes bounds the bytes of all input files together
	// (limits.revisionBytes).
	RevisionBytes int64
	// ExpandedBytes bounds the size of all documents once their YAML
	// aliases are expanded (limits.expandedBytes): the bytes of their
	// scalars and 2 for every node, about the size of their JSON. It is
	// measured on each parsed document, through its aliases, before the
	// document is expanded.
	ExpandedBytes int64
	// Documents bounds the YAML documents of all files (limits.documents).
	Documents int64
	// Objects bounds the objects of supported kinds (limits.objects).
	Objects int64
}

// The default Limits: far above what a real repository needs (10,000
// routes take ~5 MB), far below what would exhaust a small machine.
const (
	DefaultRevisionBytes = 64 << 20
	DefaultExpandedBytes = 128 << 20
	DefaultDocuments     = 100_000
	DefaultObjects       = 50_000
)

// WithDefaults returns l with its zero fields set to the defaults.
func (l Limits) WithDefaults() Limits {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.RevisionBytes, DefaultRevisionBytes)
	def(&l.ExpandedBytes, DefaultExpandedBytes)
	def(&l.Documents, DefaultDocuments)
	def(&l.Objects, DefaultObjects)
	return l
}

// LimitError says which of the Limits a revision went over.
type LimitError struct {
	// Key names the limit as sluice.yaml does (limits.expandedBytes).
	Key   string
	Limit int64
	// What the limit counts, for the message.
	What string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("the revision's files, up to this one, hold more than %d %s: over the budget %s; the revision is not read",
		e.Limit, e.What, e.Key)
}

// cost is what reading a file took from the Limits.
type cost struct {
	bytes, expanded, docs int64
}

func (c *cost) add(o cost) {
	c.bytes += o.bytes
	c.expanded += o.expanded
	c.docs += o.docs
}

// over returns the error of the first limit that c exceeds, or nil.
func (l Limits) over(c cost) *LimitError {
	switch {
	case c.bytes > l.RevisionBytes:
		return &LimitError{Key: "limits.revisionBytes", Limit: l.RevisionBytes, What: "bytes"}
	case c.expanded > l.ExpandedBytes:
		return &LimitError{Key: "limits.expandedBytes", Limit: l.ExpandedBytes, What: "bytes with their YAML aliases expanded"}
	case c.docs > l.Documents:
		return &LimitError{Key: "limits.documents", Limit: l.Documents, What: "YAML documents"}
	}
	return nil
}

// meter counts what the files of one revision cost while parallel workers
// read them. Once the revision is over a limit, workers stop: a file
// being read is left partial, the others are not read. Which file to
// name is then decided in file order (culprit), whatever the scheduling.
type meter struct {
	lim                   Limits
	bytes, expanded, docs atomic.Int64
	tripped               atomic.Bool
}

func newMeter(lim Limits) *meter { return &meter{lim: lim.WithDefaults()} }

// take adds c to the revision's cost and reports whether it is still
// within the limits.
func (m *meter) take(c cost) bool {
	total := cost{bytes: m.bytes.Add(c.bytes), expanded: m.expanded.Add(c.expanded), docs: m.docs.Add(c.docs)}
	if m.lim.over(total) != nil {
		m.tripped.Store(true)
		return false
	}
	return !m.tripped.Load()
}

func (m *meter) expandedLimit() int64 { return m.lim.ExpandedBytes }

// stopped reports whether the revision went over a limit.
func (m *meter) stopped() bool { return m.tripped.Load() }

// culprit names, in file order, the file at which the revision goes over
// a limit, measuring again the files that were not read whole. It is
// called only once the meter stopped.
func (m *meter) culprit(fsys fs.FS, names []string, files []*fileDocs) error {
	var total cost
	for i, f := range files {
		c := f.cost
		if f.partial {
			c = measureFile(fsys, names[i], m.lim)
		}
		total.add(c)
		if e := m.lim.over(total); e != nil {
			return &ParseError{Location: status.Location{File: names[i]}, Err: e}
		}
	}
	// Only when files changed while they were read.
	return &ParseError{Location: status.Location{File: names[len(names)-1]},
		Err: fmt.Errorf("the revision went over its limits while it was read (files changed meanwhile?)")}
}

// measureFile returns what reading the named file costs, counting no
// further than the limits: its documents are parsed and measured, not
// converted.
func measureFile(fsys fs.FS, name string, lim Limits) cost {
	data, err := readFile(fsys, name)
	if err != nil {
		return cost{bytes: int64(len(data))}
	}
	f := &fileDocs{cost: cost{bytes: int64(len(data))}}
	splitFile(f, name, data, &measureOnly{lim: lim, total: f.cost}, false)
	return f.cost
}

// measureOnly is the budget of measureFile: it stops splitDocuments once
// the file alone is over the limits.
type measureOnly struct {
	lim   Limits
	total cost
}

func (m *measureOnly) take(c cost) bool {
	m.total.add(c)
	return m.lim.over(m.total) == nil
}

func (m *measureOnly) expandedLimit() int64 { return m.lim.ExpandedBytes }

// expandedSize returns the size of n with its aliases expanded: the bytes
// of its scalars and 2 for each node, counting no further than max. The
// size of an anchored node is computed once (memo), so that a billion
// laughs or a large string behind many aliases is measured in the time
// of its parsed size. An alias of a node being measured (a cycle) counts
// as a scalar: converting refuses it.
func expandedSize(n *yaml.Node, max int64) int64 {
	s := sizer{max: max, memo: map[*yaml.Node]int64{}, active: map[*yaml.Node]bool{}}
	return s.size(n)
}

type sizer struct {
	max    int64
	memo   map[*yaml.Node]int64
	active map[*yaml.Node]bool
}

func (s *sizer) size(n *yaml.Node) int64 {
	switch n.Kind {
	case yaml.AliasNode:
		a := n.Alias
		if a == nil || s.active[a] {
			return 2
		}
		if v, ok := s.memo[a]; ok {
			return v
		}
		s.active[a] = true
		v := s.size(a)
		delete(s.active, a)
		return v
	case yaml.ScalarNode:
		return int64(len(n.Value)) + 2
	}
	total := int64(2)
	for _, c := range n.Content {
		if total += s.size(c); total > s.max {
			break // saturated: enough to reject
		}
	}
	if n.Anchor != "" {
		s.memo[n] = total
	}
	return total
}
