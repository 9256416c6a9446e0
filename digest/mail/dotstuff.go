package mail

import "bytes"

// appendDotStuffed appends src as net/textproto's DotWriter would write it
// after DATA, before the final ".\r\n": a dot that starts a line is doubled,
// a bare LF becomes CRLF (RFC 5321 §4.5.2). It starts at the beginning of a
// line and src must end with LF, so that the writer's state afterwards is
// "beginning of a line" again. dotstuff_test.go checks it byte for byte
// against textproto.
//
// textproto's dotWriter goes byte by byte through bufio.Writer.WriteByte,
// which was ~20 % of the delivery benchmark's CPU; here whole lines are
// copied, and a line with a CR before its end takes the byte-by-byte path.
func appendDotStuffed(dst, src []byte) []byte {
	for len(src) > 0 {
		j := bytes.IndexByte(src, '\n')
		if j < 0 {
			panic("appendDotStuffed: src does not end with LF")
		}
		line := src[:j] // without the LF
		src = src[j+1:]
		if len(line) > 0 && line[0] == '.' {
			dst = append(dst, '.')
		}
		switch k := bytes.IndexByte(line, '\r'); {
		case k < 0: // bare LF
			dst = append(append(dst, line...), '\r', '\n')
		case k == len(line)-1: // CRLF
			dst = append(append(dst, line...), '\n')
		default:
			dst = dotStuffOdd(dst, line)
		}
	}
	return dst
}

// dotStuffOdd writes one line (its leading dot already handled) holding a
// CR before its end, followed by its LF, with textproto's state machine: a
// CR followed by anything but LF is kept, and the byte after it is data.
func dotStuffOdd(dst, line []byte) []byte {
	cr := false
	for _, c := range line {
		if cr {
			cr = false
		} else if c == '\r' {
			cr = true
		}
		dst = append(dst, c)
	}
	if !cr {
		dst = append(dst, '\r')
	}
	return append(dst, '\n')
}

// appendDotMessage appends src as the whole DATA payload: what textproto's
// DotWriter writes for src followed by its Close, the ending ".\r\n" (after
// a CRLF of its own when src does not end with LF) included.
func appendDotMessage(dst, src []byte) []byte {
	cut := bytes.LastIndexByte(src, '\n') + 1
	dst = appendDotStuffed(dst, src[:cut])
	tail := src[cut:]
	if len(tail) == 0 {
		if cut == 0 { // nothing written: DotWriter's Close still ends a line
			return append(dst, "\r\n.\r\n"...)
		}
		return append(dst, ".\r\n"...)
	}
	if tail[0] == '.' {
		dst = append(dst, '.')
	}
	// dotStuffOdd ends the line with CRLF as textproto's Close does: a
	// trailing CR gets its LF, anything else a CRLF.
	return append(dotStuffOdd(dst, tail), ".\r\n"...)
}
