package sync

import (
	"fmt"
	"slices"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// Verification modes of GitConfig.VerifyMode.
const (
	VerifyAll  = "all"
	VerifyHead = "head"
)

// maxRejections bounds the rejections kept for TakeRejections; older ones
// are dropped first.
const maxRejections = 1000

// commitSet is a set of commits, such as those an applied commit vouches
// for.
type commitSet interface {
	has(plumbing.Hash) bool
}

type hashSet map[plumbing.Hash]struct{}

func (h hashSet) has(x plumbing.Hash) bool { _, ok := h[x]; return ok }

// union holds the commits of any of its sets.
type union []commitSet

func (u union) has(x plumbing.Hash) bool {
	return slices.ContainsFunc(u, func(s commitSet) bool { return s != nil && s.has(x) })
}

// walk returns the commits reachable from head that are not in stop (nil:
// none), parents before children. It does not go below a commit for which
// cut returns true.
func walk(st storer.EncodedObjectStorer, head plumbing.Hash, stop commitSet, cut func(*object.Commit) bool) ([]*object.Commit, error) {
	if stop == nil {
		stop = hashSet(nil)
	}
	if stop.has(head) {
		return nil, nil
	}
	type frame struct {
		c    *object.Commit
		next int // index of the next parent to visit
	}
	first, err := object.GetCommit(st, head)
	if err != nil {
		return nil, fmt.Errorf("sync: read commit %s: %w", head, err)
	}
	seen := hashSet{head: {}}
	stack := []frame{{c: first}}
	if cut != nil && cut(first) {
		stack[0].next = len(first.ParentHashes)
	}
	var out []*object.Commit
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.next == len(f.c.ParentHashes) {
			out = append(out, f.c)
			stack = stack[:len(stack)-1]
			continue
		}
		p := f.c.ParentHashes[f.next]
		f.next++
		if seen.has(p) || stop.has(p) {
			continue
		}
		seen[p] = struct{}{}
		c, err := object.GetCommit(st, p)
		if err != nil {
			return nil, fmt.Errorf("sync: read commit %s: %w", p, err)
		}
		fr := frame{c: c}
		if cut != nil && cut(c) {
			fr.next = len(c.ParentHashes)
		}
		stack = append(stack, fr)
	}
	return out, nil
}

// ancestors returns h and every commit reachable from it: the whole
// history below h.
func ancestors(st storer.EncodedObjectStorer, h plumbing.Hash) (hashSet, error) {
	set := hashSet{}
	return set, addWalk(st, set, nil, h)
}

// addWalk adds to set the commits reachable from h that are not in set or
// stop.
func addWalk(st storer.EncodedObjectStorer, set hashSet, stop commitSet, h plumbing.Hash) error {
	commits, err := walk(st, h, union{set, stop}, nil)
	for _, c := range commits {
		set[c.Hash] = struct{}{}
	}
	return err
}

// outcome is what verifying the commits of a new head decided.
type outcome struct {
	apply      *object.Commit // nil: nothing new to apply
	signer     *Signer
	result     Verification
	rejections []Rejection
}

// checked is the verification of one commit of a range.
type checked struct {
	signer *Signer
	err    *verifyError
}

// verifyRange verifies the commits reachable from head and not in stop
// (everything when stop is nil and all is true; only head when all is
// false) and picks the newest commit of head's first-parent chain whose
// whole range verifies. Callers hold s.mu.
func (s *GitSource) verifyRange(head plumbing.Hash, stop commitSet, all bool) (outcome, error) {
	st := s.repo.Storer
	rc := &rangeCheck{v: s.verifier, results: map[plumbing.Hash]checked{}}
	commits, seals, err := rc.walk(st, head, stop, all)
	if err != nil {
		return outcome{}, err
	}
	if len(commits) == 0 {
		return vouchedBySince(st, head, rc)
	}
	if all && len(seals) > 0 {
		if commits, err = dropSealed(st, commits, stop, seals); err != nil {
			return outcome{}, err
		}
	}
	return s.decide(head, s.judge(commits, rc), rc), nil
}

// rangeCheck verifies the commits of one range, each at most once.
type rangeCheck struct {
	v       *verifier
	results map[plumbing.Hash]checked
}

// check returns the verification of c, verifying it on first use.
func (rc *rangeCheck) check(c *object.Commit) checked {
	r, ok := rc.results[c.Hash]
	if !ok {
		r.signer, r.err = rc.v.verify(c)
		rc.results[c.Hash] = r
	}
	return r
}

// walk returns the commits to verify, parents first, and the seals met on
// the way: verified commits with a seal trailer, below which it does not
// go. When all is false it goes no further than head.
func (rc *rangeCheck) walk(st storer.EncodedObjectStorer, head plumbing.Hash, stop commitSet, all bool) (commits, seals []*object.Commit, err error) {
	cut := func(c *object.Commit) bool {
		if hasSealTrailer(c.Message) && rc.check(c).err == nil {
			seals = append(seals, c)
			return true
		}
		return false
	}
	if !all {
		cut = func(*object.Commit) bool { return true }
	}
	commits, err = walk(st, head, stop, cut)
	return commits, seals, err
}

// vouchedBySince is the outcome when there is nothing to verify:
// verify.since names head or a later commit, so it vouches for head.
func vouchedBySince(st storer.EncodedObjectStorer, head plumbing.Hash, rc *rangeCheck) (outcome, error) {
	c, err := object.GetCommit(st, head)
	if err != nil {
		return outcome{}, fmt.Errorf("sync: read commit %s: %w", head, err)
	}
	return outcome{apply: c, signer: rc.check(c).signer,
		result: Verification{Result: Sealed, Message: "vouched for by verify.since"}}, nil
}

// dropSealed removes from commits those a seal vouches for: a seal vouches
// for all its ancestors, also those reached through another path.
func dropSealed(st storer.EncodedObjectStorer, commits []*object.Commit, stop commitSet, seals []*object.Commit) ([]*object.Commit, error) {
	vouched := hashSet{} // besides stop, which commits leaves out already
	for _, seal := range seals {
		for _, p := range seal.ParentHashes {
			if err := addWalk(st, vouched, stop, p); err != nil {
				return nil, err
			}
		}
	}
	return slices.DeleteFunc(commits, func(c *object.Commit) bool { return vouched.has(c.Hash) }), nil
}

// verdict is what checking the commits of a range found.
type verdict struct {
	inRange    hashSet
	good       hashSet // the commit and everything it brings verify
	byHash     map[plumbing.Hash]*object.Commit
	firstBad   *verifyError
	rejections []Rejection
}

// judge checks commits, parents first, and finds which are good: those
// that verify and whose parents in the range are good. Callers hold s.mu.
func (s *GitSource) judge(commits []*object.Commit, rc *rangeCheck) verdict {
	v := verdict{inRange: hashSet{}, good: hashSet{}, byHash: map[plumbing.Hash]*object.Commit{}}
	for _, c := range commits {
		v.inRange[c.Hash] = struct{}{}
		v.byHash[c.Hash] = c
		r := rc.check(c)
		if r.err != nil {
			if v.firstBad == nil {
				v.firstBad = r.err
			}
			v.rejections = append(v.rejections, s.rejection(c, r.signer, r.err.reason, r.err.msg))
			continue
		}
		if !slices.ContainsFunc(c.ParentHashes, func(p plumbing.Hash) bool {
			return v.inRange.has(p) && !v.good.has(p)
		}) {
			v.good[c.Hash] = struct{}{}
		}
	}
	return v
}

// newestGood returns the newest good commit of head's first-parent chain
// within the range, or nil.
func (v verdict) newestGood(head plumbing.Hash) *object.Commit {
	for h := head; v.inRange.has(h); {
		c := v.byHash[h]
		if v.good.has(h) {
			return c
		}
		if len(c.ParentHashes) == 0 {
			return nil
		}
		h = c.ParentHashes[0]
	}
	return nil
}

// decide picks the commit to apply from v and, when it is not head, says
// why head is not applied. Callers hold s.mu.
func (s *GitSource) decide(head plumbing.Hash, v verdict, rc *rangeCheck) outcome {
	out := outcome{rejections: v.rejections}
	if c := v.newestGood(head); c != nil {
		out.apply, out.signer, out.result = c, rc.check(c).signer, Verification{Result: Verified}
	}
	if out.apply != nil && out.apply.Hash != head {
		out.result.Message = fmt.Sprintf("head %s is not applied: %s", short(head), v.firstBad.msg)
	}
	if out.apply == nil || out.apply.Hash != head {
		if hc := v.byHash[head]; rc.check(hc).err == nil {
			out.rejections = append(out.rejections, s.rejection(hc, rc.check(hc).signer, v.firstBad.reason,
				fmt.Sprintf("commit %s is not applied: it brings %s", short(head), v.firstBad.msg)))
		}
	}
	return out
}

// rejection describes a refused commit. Callers hold s.mu.
func (s *GitSource) rejection(c *object.Commit, signer *Signer, reason, msg string) Rejection {
	rev := s.meta(c)
	rev.Signer = signer
	rev.Verification = Verification{Result: Failed, Reason: reason, Message: msg}
	return Rejection{Revision: rev, Reason: reason, Message: msg}
}
