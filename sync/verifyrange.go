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

type hashSet map[plumbing.Hash]struct{}

func (h hashSet) has(x plumbing.Hash) bool { _, ok := h[x]; return ok }

// walk returns the commits reachable from head that are not in stop,
// parents before children. It does not go below a commit for which cut
// returns true.
func walk(st storer.EncodedObjectStorer, head plumbing.Hash, stop hashSet, cut func(*object.Commit) bool) ([]*object.Commit, error) {
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

// ancestors returns h and every commit reachable from it.
func ancestors(st storer.EncodedObjectStorer, h plumbing.Hash) (hashSet, error) {
	return addWalk(st, hashSet{}, h)
}

// addWalk adds to set the commits reachable from h and returns it.
func addWalk(st storer.EncodedObjectStorer, set hashSet, h plumbing.Hash) (hashSet, error) {
	commits, err := walk(st, h, set, nil)
	for _, c := range commits {
		set[c.Hash] = struct{}{}
	}
	return set, err
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

// verifyRange verifies the commits reachable from head and not from stop
// (everything when stop is nil and all is true; only head when all is
// false) and picks the newest commit of head's first-parent chain whose
// whole range verifies. Callers hold s.mu.
func (s *GitSource) verifyRange(head plumbing.Hash, stop hashSet, all bool) (outcome, error) {
	st := s.repo.Storer
	results := map[plumbing.Hash]checked{}
	check := func(c *object.Commit) checked {
		r, ok := results[c.Hash]
		if !ok {
			r.signer, r.err = s.verifier.verify(c)
			results[c.Hash] = r
		}
		return r
	}
	var seals []*object.Commit
	cut := func(c *object.Commit) bool {
		if hasSealTrailer(c.Message) && check(c).err == nil {
			seals = append(seals, c)
			return true
		}
		return false
	}
	if !all {
		cut = func(*object.Commit) bool { return true }
	}
	commits, err := walk(st, head, stop, cut)
	if err != nil {
		return outcome{}, err
	}
	if len(commits) == 0 {
		// verify.since names head or a later commit: it vouches for head.
		c, err := object.GetCommit(st, head)
		if err != nil {
			return outcome{}, fmt.Errorf("sync: read commit %s: %w", head, err)
		}
		return outcome{apply: c, signer: check(c).signer,
			result: Verification{Result: Sealed, Message: "vouched for by verify.since"}}, nil
	}
	// A seal vouches for all its ancestors, also those reached through
	// another path.
	if all && len(seals) > 0 {
		vouched := hashSet{}
		for k := range stop {
			vouched[k] = struct{}{}
		}
		for _, seal := range seals {
			for _, p := range seal.ParentHashes {
				if vouched, err = addWalk(st, vouched, p); err != nil {
					return outcome{}, err
				}
			}
		}
		commits = slices.DeleteFunc(commits, func(c *object.Commit) bool { return vouched.has(c.Hash) })
	}

	// good: the commit and everything it brings verify. Parents come first.
	inRange := hashSet{}
	good := hashSet{}
	var out outcome
	var firstBad *verifyError
	for _, c := range commits {
		inRange[c.Hash] = struct{}{}
		r := check(c)
		if r.err != nil {
			if firstBad == nil {
				firstBad = r.err
			}
			out.rejections = append(out.rejections, s.rejection(c, r.signer, r.err.reason, r.err.msg))
			continue
		}
		ok := true
		for _, p := range c.ParentHashes {
			if inRange.has(p) && !good.has(p) {
				ok = false
			}
		}
		if ok {
			good[c.Hash] = struct{}{}
		}
	}
	byHash := map[plumbing.Hash]*object.Commit{}
	for _, c := range commits {
		byHash[c.Hash] = c
	}
	for h := head; inRange.has(h); {
		c := byHash[h]
		if good.has(h) {
			out.apply, out.signer, out.result = c, check(c).signer, Verification{Result: Verified}
			break
		}
		if len(c.ParentHashes) == 0 {
			break
		}
		h = c.ParentHashes[0]
	}
	if out.apply != nil && out.apply.Hash != head {
		out.result.Message = fmt.Sprintf("head %s is not applied: %s", short(head), firstBad.msg)
	}
	if out.apply == nil || out.apply.Hash != head {
		if hc := byHash[head]; check(hc).err == nil {
			out.rejections = append(out.rejections, s.rejection(hc, check(hc).signer, firstBad.reason,
				fmt.Sprintf("commit %s is not applied: it brings %s", short(head), firstBad.msg)))
		}
	}
	return out, nil
}

// rejection describes a refused commit. Callers hold s.mu.
func (s *GitSource) rejection(c *object.Commit, signer *Signer, reason, msg string) Rejection {
	rev := s.meta(c)
	rev.Signer = signer
	rev.Verification = Verification{Result: Failed, Reason: reason, Message: msg}
	return Rejection{Revision: rev, Reason: reason, Message: msg}
}
