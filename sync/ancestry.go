package sync

import (
	"container/heap"
	"fmt"
	"math"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object/commitgraph"
)

// How a head relates to the applied commit (its base) is found by painting
// down from both at once, newest first, as git does for base..head: commits
// reached from the head are marked fromHead, those reached from the base
// fromBase, and the walk ends as soon as every commit still queued is
// fromBase. A sync after a restart reads the commits the head brings and a
// few below the base, not the whole history; a head that does not descend
// from the base costs the commits down to where the two histories meet.
//
// "Newest" is the generation number where git wrote a commit-graph in the
// mirror (git commit-graph write), else the committer time. Generation
// numbers also end the walk early when the head cannot descend from the
// base (an unrelated history). Committer times do not: they are written by
// whoever commits, and a commit dated before its parent would then make a
// fast-forward look like a force-push. They can only make the span too
// wide: a commit the walk passed over may be an ancestor of the base after
// all. So a span found by time is inexact, and verification falls back to
// the whole history of the base before it refuses anything (advance).

// Marks of a painted commit.
const (
	fromHead uint8 = 1 << iota
	fromBase
)

// noGeneration is the generation of a commit outside the commit-graph.
const noGeneration = math.MaxUint64

// span is what painting from a head and a base found.
type span struct {
	base     plumbing.Hash
	descends bool    // the head is the base or one of its descendants
	inside   hashSet // base..head: the commits of the head the base does not reach
	exact    bool    // inside holds no ancestor of the base: found by generation numbers
	visited  int     // commits read
}

// has reports whether the base vouches for h, a commit reachable from the
// head: whether h is not in base..head.
func (s span) has(h plumbing.Hash) bool { return !s.inside.has(h) }

// painted is a commit met by paint.
type painted struct {
	hash   plumbing.Hash
	marks  uint8
	gen    uint64 // noGeneration outside the commit-graph
	when   int64  // committer time, Unix seconds
	index  int    // in the queue; -1 once popped
	parent []plumbing.Hash
}

// newer reports whether a is walked before b: a higher generation, or the
// same and a later committer time.
func newer(a, b *painted) bool {
	if a.gen != b.gen {
		return a.gen > b.gen
	}
	return a.when > b.when
}

// unreachable reports whether c cannot lead to base, nor can any commit
// walked after it: c is the newest commit from the head left to walk.
// Only generation numbers tell.
func unreachable(c, base *painted) bool {
	// Those after c are in the commit-graph too, which holds every
	// ancestor of its commits: base is none of them unless it is in the
	// graph with a lower generation.
	return c.gen != noGeneration && (base.gen == noGeneration || c.gen <= base.gen)
}

// painter walks the commits of one paint.
type painter struct {
	nodes commitgraph.CommitNodeIndex
	seen  map[plumbing.Hash]*painted
	queue queue
	live  int // queued commits not fromBase: the walk goes on while > 0
	// heads holds, newest first, the queued commits that were only
	// fromHead when queued; some have been walked or marked fromBase since.
	heads newestFirst
}

// paint relates head to base.
func paint(nodes commitgraph.CommitNodeIndex, head, base plumbing.Hash) (span, error) {
	p := &painter{nodes: nodes, seen: map[plumbing.Hash]*painted{}}
	b, err := p.add(base, fromBase)
	if err != nil {
		return span{}, err
	}
	if _, err := p.add(head, fromHead); err != nil {
		return span{}, err
	}
	for p.live > 0 {
		if b.marks&fromHead == 0 && unreachable(p.newestLive(), b) {
			return span{base: base, visited: len(p.seen)}, nil
		}
		c := heap.Pop(&p.queue).(*painted)
		if c.marks&fromBase == 0 {
			p.live--
		}
		for _, ph := range c.parent {
			if _, err := p.add(ph, c.marks); err != nil {
				return span{}, err
			}
		}
	}
	sp := span{base: base, descends: b.marks&fromHead != 0, inside: hashSet{}, exact: true, visited: len(p.seen)}
	for h, c := range p.seen {
		if c.marks == fromHead {
			sp.inside[h] = struct{}{}
			// Only what leads to a commit outside the graph can hide
			// from a walk in generation order.
			sp.exact = sp.exact && c.gen != noGeneration
		}
	}
	return sp, nil
}

// add marks commit h, queueing it when first met.
func (p *painter) add(h plumbing.Hash, marks uint8) (*painted, error) {
	c, ok := p.seen[h]
	if !ok {
		n, err := p.nodes.Get(h)
		if err != nil {
			return nil, fmt.Errorf("sync: read commit %s: %w", h, err)
		}
		c = &painted{hash: h, gen: n.Generation(), when: n.CommitTime().Unix(), parent: n.ParentHashes()}
		if c.gen == 0 { // written by a git that did not compute them
			c.gen = noGeneration
		}
		p.seen[h] = c
		heap.Push(&p.queue, c)
		p.live++
		if marks&fromBase == 0 {
			heap.Push(&p.heads, c)
		}
	}
	if c.index >= 0 && c.marks&fromBase == 0 && marks&fromBase != 0 {
		p.live--
	}
	c.marks |= marks
	return c, nil
}

// newestLive returns the newest queued commit that is not fromBase. Callers
// check that p.live > 0.
func (p *painter) newestLive() *painted {
	for c := p.heads[0]; c.index < 0 || c.marks&fromBase != 0; c = p.heads[0] {
		heap.Pop(&p.heads)
	}
	return p.heads[0]
}

// newestFirst is a max-heap of painted commits that leaves their index
// alone.
type newestFirst []*painted

func (q newestFirst) Len() int           { return len(q) }
func (q newestFirst) Less(i, j int) bool { return newer(q[i], q[j]) }
func (q newestFirst) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *newestFirst) Push(x any)        { *q = append(*q, x.(*painted)) }
func (q *newestFirst) Pop() any {
	old := *q
	c := old[len(old)-1]
	*q = old[:len(old)-1]
	return c
}

// queue is a max-heap of painted commits, newest first.
type queue []*painted

func (q queue) Len() int           { return len(q) }
func (q queue) Less(i, j int) bool { return newer(q[i], q[j]) }
func (q queue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index, q[j].index = i, j
}
func (q *queue) Push(x any) {
	c := x.(*painted)
	c.index = len(*q)
	*q = append(*q, c)
}
func (q *queue) Pop() any {
	old := *q
	c := old[len(old)-1]
	old[len(old)-1] = nil
	c.index = -1
	*q = old[:len(old)-1]
	return c
}
