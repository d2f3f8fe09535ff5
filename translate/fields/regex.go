package fields

import (
	"fmt"
	"regexp/syntax"
	"unicode/utf8"
)

// DefaultRegexProgramSize is the largest RE2 program size Envoy accepts
// in a regex unless its runtime says otherwise: the default of
// re2.max_program_size.error_level. A larger one makes Envoy reject the
// whole resource (a NACK).
const DefaultRegexProgramSize = 100

// Regex checks a regular expression that goes to Envoy: RE2 must accept
// it (Go's regexp/syntax reads RE2's syntax) and its RE2 program size
// must be at most max (DefaultRegexProgramSize when max is 0). The error
// names neither field nor object: callers wrap it.
func Regex(re string, max int) error {
	if max <= 0 {
		max = DefaultRegexProgramSize
	}
	size, err := RegexProgramSize(re)
	if err != nil {
		return fmt.Errorf("%q is not a valid RE2 regular expression: %v", re, err)
	}
	if size > max {
		return fmt.Errorf("%q has an RE2 program size of %d, over Envoy's limit of %d (runtime re2.max_program_size.error_level): simplify it (a bounded repeat such as {1,63} copies its operand), or raise the limit in both the Envoy bootstrap (sluice bootstrap --regex-program-size) and sluice.yaml (limits.regexProgramSize)",
			re, size, max)
	}
	return nil
}

// RegexProgramSize estimates RE2's program size of re (RE2::ProgramSize,
// which Envoy compares with re2.max_program_size): the number of
// instructions of its compiled, flattened program. Go's own program
// counts a character class as one instruction where RE2 matches UTF-8
// bytes (a dot is 14 of RE2's), so it counts low by a factor of 2 to 5;
// this rebuilds RE2's program from Go's: each rune instruction becomes
// RE2's byte ranges (its table for 80-10FFFF, continuation bytes shared
// within a class), the leading ^ and trailing $ are dropped as RE2 drops
// them, an unanchored regex gets RE2's .*? prefix, and the result is
// flattened as RE2's Prog::Flatten does (a list of instructions per
// root, a Nop where a list reaches another root). It gives RE2's sizes
// of the examples published with Envoy and Contour issues (24 for
// /asdf/.*, 38 for .*Chrome.*, 109 for a.*b.*c.*d.*e.*f.*g.*, 2013 for
// /static/[a-zA-Z0-9._-]{0,200}/[a-zA-Z0-9._-]{0,200}). For classes of
// non-ASCII runes other than the dot it counts a little high: RE2 also
// shares their common leading bytes.
func RegexProgramSize(re string) (int, error) {
	parsed, err := syntax.Parse(re, syntax.Perl)
	if err != nil {
		return 0, err
	}
	s := parsed.Simplify()
	anchored := dropAnchor(&s, syntax.OpBeginText, 0)
	dropAnchor(&s, syntax.OpEndText, 0)
	prog, err := syntax.Compile(s)
	if err != nil {
		return 0, err
	}
	g := &re2Graph{nodes: make([]re2Node, len(prog.Inst))}
	for i := range prog.Inst {
		g.fromGo(i, &prog.Inst[i])
	}
	start, startU := prog.Start, prog.Start
	if !anchored { // RE2's unanchored .*? prefix: a byte loop
		loop := g.add(re2Node{eps: true})
		b := g.add(re2Node{out: []int{loop}})
		g.nodes[loop].out = []int{start, b}
		startU = loop
	}
	return g.flattenedSize(startU, start), nil
}

// dropAnchor removes a leading \A (op OpBeginText) or trailing \z
// (OpEndText) as RE2's IsAnchorStart and IsAnchorEnd do, through
// concatenations and captures at most 4 deep, and reports whether it did.
func dropAnchor(pre **syntax.Regexp, op syntax.Op, depth int) bool {
	re := *pre
	if re == nil || depth >= 4 {
		return false
	}
	switch re.Op {
	case syntax.OpConcat:
		if len(re.Sub) == 0 {
			return false
		}
		i := 0
		if op == syntax.OpEndText {
			i = len(re.Sub) - 1
		}
		sub := re.Sub[i]
		if !dropAnchor(&sub, op, depth+1) {
			return false
		}
		c := *re
		c.Sub = append([]*syntax.Regexp(nil), re.Sub...)
		c.Sub[i] = sub
		*pre = &c
		return true
	case syntax.OpCapture:
		sub := re.Sub[0]
		if !dropAnchor(&sub, op, depth+1) {
			return false
		}
		c := *re
		c.Sub = []*syntax.Regexp{sub}
		*pre = &c
		return true
	case op:
		*pre = &syntax.Regexp{Op: syntax.OpEmptyMatch}
		return true
	}
	return false
}

// re2Node is an instruction of the RE2 program rebuilt from Go's: an
// epsilon (Alt or Nop: out lists its targets), or one that consumes or
// records something (a byte range, a capture, an empty-width assertion:
// out holds its one target), a match or the fail instruction (no out).
type re2Node struct {
	eps bool
	out []int
}

type re2Graph struct {
	nodes []re2Node
	// cont shares the continuation bytes of one class by range and target.
	cont map[[3]int]int
}

func (g *re2Graph) add(n re2Node) int {
	g.nodes = append(g.nodes, n)
	return len(g.nodes) - 1
}

// fromGo sets node i, Go's instruction i, to RE2's form of it.
func (g *re2Graph) fromGo(i int, in *syntax.Inst) {
	out := int(in.Out)
	switch in.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		g.nodes[i] = re2Node{eps: true, out: []int{out, int(in.Arg)}}
	case syntax.InstNop:
		g.nodes[i] = re2Node{eps: true, out: []int{out}}
	case syntax.InstCapture, syntax.InstEmptyWidth:
		g.nodes[i] = re2Node{out: []int{out}}
	case syntax.InstMatch, syntax.InstFail:
		g.nodes[i] = re2Node{}
	case syntax.InstRune1:
		g.nodes[i] = re2Node{eps: true, out: []int{g.literal(in.Rune[0], out)}}
	case syntax.InstRuneAny:
		g.nodes[i] = re2Node{eps: true, out: g.class([]rune{0, utf8.MaxRune}, out)}
	case syntax.InstRuneAnyNotNL:
		g.nodes[i] = re2Node{eps: true, out: g.class([]rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune}, out)}
	case syntax.InstRune:
		if len(in.Rune) == 1 { // a literal, folded or not
			g.nodes[i] = re2Node{eps: true, out: []int{g.literal(in.Rune[0], out)}}
			return
		}
		g.nodes[i] = re2Node{eps: true, out: g.class(in.Rune, out)}
	}
}

// literal is RE2's chain of the UTF-8 bytes of r, and returns its first.
func (g *re2Graph) literal(r rune, next int) int {
	n := utf8.RuneLen(r)
	if n < 1 {
		n = 1
	}
	for range n {
		next = g.add(re2Node{out: []int{next}})
	}
	return next
}

// class adds RE2's byte ranges of a character class (pairs of rune
// ranges, as Go's) going to next, and returns its leading ones.
func (g *re2Graph) class(ranges []rune, next int) []int {
	g.cont = map[[3]int]int{} // RE2 shares suffixes within a class only
	fold := foldsASCII(ranges)
	var leads []int
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if fold && 'A' <= lo && hi <= 'Z' {
			continue // RE2 matches them with the a-z ranges, folded
		}
		leads = g.runeRange(lo, hi, next, leads)
	}
	return leads
}

// foldsASCII reports whether a class matches A-Z as it matches a-z.
func foldsASCII(ranges []rune) bool {
	in := func(r rune) bool {
		for i := 0; i+1 < len(ranges); i += 2 {
			if ranges[i] <= r && r <= ranges[i+1] {
				return true
			}
		}
		return false
	}
	for c := 'a'; c <= 'z'; c++ {
		if in(c) != in(c-'a'+'A') {
			return false
		}
	}
	return true
}

// utf8Max are the largest runes of 1, 2 and 3 UTF-8 bytes.
var utf8Max = [...]rune{0x7f, 0x7ff, 0xffff}

// runeRange adds RE2's byte ranges of the runes lo-hi (AddRuneRangeUTF8)
// and returns leads with the leading ones appended.
func (g *re2Graph) runeRange(lo, hi rune, next int, leads []int) []int {
	if lo > hi {
		return leads
	}
	if lo == 0x80 && hi == utf8.MaxRune {
		return g.all80(next, leads)
	}
	for _, max := range utf8Max { // same-length ranges
		if lo <= max && max < hi {
			return g.runeRange(max+1, hi, next, g.runeRange(lo, max, next, leads))
		}
	}
	if hi < utf8.RuneSelf {
		return append(leads, g.add(re2Node{out: []int{next}}))
	}
	for i := 1; i < utf8.UTFMax; i++ { // ranges that agree on leading bytes
		m := rune(1)<<(6*i) - 1
		if lo&^m != hi&^m {
			if lo&m != 0 {
				return g.runeRange(lo|m+1, hi, next, g.runeRange(lo, lo|m, next, leads))
			}
			if hi&m != m {
				return g.runeRange(hi&^m, hi, next, g.runeRange(lo, hi&^m-1, next, leads))
			}
		}
	}
	var ulo, uhi [utf8.UTFMax]byte
	n := utf8.EncodeRune(ulo[:], lo)
	utf8.EncodeRune(uhi[:], hi)
	id := next
	for i := n - 1; i >= 0; i-- {
		if i == 0 {
			id = g.add(re2Node{out: []int{id}})
			break
		}
		key := [3]int{int(ulo[i])<<8 | int(uhi[i]), id}
		c, ok := g.cont[key]
		if !ok {
			c = g.add(re2Node{out: []int{id}})
			g.cont[key] = c
		}
		id = c
	}
	return append(leads, id)
}

// all80 adds RE2's fixed program for the runes 80-10FFFF (its
// prog_80_10ffff: 6 leading byte ranges, 6 continuations).
func (g *re2Graph) all80(next int, leads []int) []int {
	c0 := g.add(re2Node{out: []int{next}}) // 80-BF
	c2 := g.add(re2Node{out: []int{c0}})   // A0-BF 80-BF
	c4 := g.add(re2Node{out: []int{c0}})   // 80-BF 80-BF
	c6 := g.add(re2Node{out: []int{c4}})   // 90-BF 80-BF 80-BF
	c8 := g.add(re2Node{out: []int{c4}})   // 80-BF 80-BF 80-BF
	c10 := g.add(re2Node{out: []int{c4}})  // 80-8F 80-BF 80-BF
	for _, to := range []int{c0, c2, c4, c6, c8, c10} {
		leads = append(leads, g.add(re2Node{out: []int{to}}))
	}
	return leads
}

// flattenedSize counts the instructions of the program flattened as RE2's
// Prog::Flatten does: the roots are the fail instruction, the two starts
// and the target of every non-epsilon instruction; each root's list holds
// the non-epsilon instructions its epsilons reach, and a Nop for every
// other root they reach.
func (g *re2Graph) flattenedSize(startU, start int) int {
	isRoot := map[int]bool{0: true, startU: true, start: true}
	roots := []int{0, startU}
	if start != startU {
		roots = append(roots, start)
	}
	g.reach(startU, func(id int) []int {
		n := g.nodes[id]
		if !n.eps && len(n.out) == 1 && !isRoot[n.out[0]] {
			isRoot[n.out[0]] = true
			roots = append(roots, n.out[0])
		}
		return n.out
	})
	size := 0
	for _, root := range roots {
		g.reach(root, func(id int) []int {
			n := g.nodes[id]
			switch {
			case id != root && isRoot[id]:
				size++ // a Nop to the other root's list
			case n.eps:
				return n.out
			default:
				size++
			}
			return nil
		})
	}
	return size
}

// reach calls visit once for every node reachable from start through the
// targets visit returns.
func (g *re2Graph) reach(start int, visit func(id int) []int) {
	seen := map[int]bool{}
	stack := []int{start}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !seen[id] {
			seen[id] = true
			stack = append(stack, visit(id)...)
		}
	}
}
