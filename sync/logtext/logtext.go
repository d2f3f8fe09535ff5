// Package logtext makes text from outside (an Envoy's NACK detail, a Git
// remote's progress message, a webhook's ref) safe to log: bounded in
// length, on one line, without control characters. It has no other job
// and imports nothing of sluice.
package logtext

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Max is the length client text is cut to in logs unless said otherwise.
const Max = 512

// Truncate returns s cut to at most n bytes at a rune boundary, with
// "…(N bytes more)" after the cut; control characters (newlines included)
// are replaced by spaces so that one value stays one log line.
func Truncate(s string, n int) string {
	more := 0
	if len(s) > n {
		i := n
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		more, s = len(s)-i, s[:i]
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if more > 0 {
		s += "…(" + strconv.Itoa(more) + " bytes more)"
	}
	return s
}
