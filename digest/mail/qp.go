package mail

// qpLineMax is mime/quotedprintable's line limit (RFC 2045: 76 characters,
// the soft break's '=' included).
const qpLineMax = 76

// qpLiteral marks the bytes mime/quotedprintable's Writer copies as they
// are: printable ASCII but '=', and space and tab (which it encodes only at
// the end of a line). A literal, not a table built by a function call, so
// that the package needs no initialiser (issue 17: start-up pages);
// TestQPLiteral checks it against that rule.
var qpLiteral = [256]bool{
	'\t': true, ' ': true, '!': true, '"': true, '#': true, '$': true, '%': true, '&': true,
	'\'': true, '(': true, ')': true, '*': true, '+': true, ',': true, '-': true, '.': true,
	'/': true, '0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true,
	'7': true, '8': true, '9': true, ':': true, ';': true, '<': true, '>': true, '?': true,
	'@': true, 'A': true, 'B': true, 'C': true, 'D': true, 'E': true, 'F': true, 'G': true,
	'H': true, 'I': true, 'J': true, 'K': true, 'L': true, 'M': true, 'N': true, 'O': true,
	'P': true, 'Q': true, 'R': true, 'S': true, 'T': true, 'U': true, 'V': true, 'W': true,
	'X': true, 'Y': true, 'Z': true, '[': true, '\\': true, ']': true, '^': true, '_': true,
	'`': true, 'a': true, 'b': true, 'c': true, 'd': true, 'e': true, 'f': true, 'g': true,
	'h': true, 'i': true, 'j': true, 'k': true, 'l': true, 'm': true, 'n': true, 'o': true,
	'p': true, 'q': true, 'r': true, 's': true, 't': true, 'u': true, 'v': true, 'w': true,
	'x': true, 'y': true, 'z': true, '{': true, '|': true, '}': true, '~': true,
}

const upperHex = "0123456789ABCDEF"

// appendQP appends src encoded as mime/quotedprintable.NewWriter would
// encode it in one Write followed by Close (text mode: CR, LF and CRLF
// become CRLF), byte for byte; qp_test.go checks that against the standard
// library on random and fuzzed input. The standard Writer goes byte by byte
// through a 78-byte line buffer and writes each line to the part's buffer;
// here runs of literal bytes are copied whole, which took go-mail's body
// encoding from ~16 % of the delivery benchmark's CPU to ~2 %.
//
// The quirks are the standard library's: a CR sets a flag that only a
// literal byte clears, so an encoded byte between CR and LF does not stop
// the LF being taken as the CR's pair.
func appendQP(dst []byte, src string) []byte {
	start := len(dst) // where the current output line begins
	cr := false
	for i := 0; i < len(src); {
		b := src[i]
		if qpLiteral[b] {
			room := qpLineMax - 1 - (len(dst) - start)
			if room == 0 {
				dst = append(dst, '=', '\r', '\n')
				start, room = len(dst), qpLineMax-1
			}
			j := i + 1
			for end := min(len(src), i+room); j < end && qpLiteral[src[j]]; j++ {
			}
			dst = append(dst, src[i:j]...)
			i, cr = j, false
			continue
		}
		i++
		if b != '\r' && b != '\n' {
			dst, start = appendQPByte(dst, start, b)
			continue
		}
		if cr && b == '\n' {
			cr = false
			continue
		}
		cr = b == '\r'
		dst, _ = qpEndLine(dst, start)
		dst = append(dst, '\r', '\n')
		start = len(dst)
	}
	dst, _ = qpEndLine(dst, start)
	return dst
}

// qpEndLine encodes a space or tab that ends the current line (RFC 2045
// §6.7 rule 3).
func qpEndLine(dst []byte, start int) ([]byte, int) {
	if len(dst) == start {
		return dst, start
	}
	if last := dst[len(dst)-1]; last == ' ' || last == '\t' {
		return appendQPByte(dst[:len(dst)-1], start, last)
	}
	return dst, start
}

// appendQPByte appends b as =XX, after a soft line break when it would not
// fit.
func appendQPByte(dst []byte, start int, b byte) ([]byte, int) {
	if qpLineMax-1-(len(dst)-start) < 3 {
		dst = append(dst, '=', '\r', '\n')
		start = len(dst)
	}
	return append(dst, '=', upperHex[b>>4], upperHex[b&0x0f]), start
}
