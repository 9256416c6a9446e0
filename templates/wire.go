package templates

import "encoding/binary"

// wireSize returns an upper bound of the bytes s takes in a sent message:
// quoted-printable, as go-mail encodes both parts, with CRLF line ends and
// a soft line break ("=" CRLF) before any encoded line would pass 76
// columns. Bytes outside printable ASCII and "=" take three ("=E2"); so
// does a space or tab before a line end. Gmail clips what arrives, not
// what was rendered: an HTML part of 100,000 bytes can weigh 108,000 on
// the wire.
//
// It runs once per rendered message, so it reads eight bytes at a time
// while they are all plain (printable ASCII other than "="), which most
// of a message is.
func wireSize(s string) int {
	n, col := 0, 0
	i := 0
	for i < len(s) {
		if i+8 <= len(s) && plain8(binary.LittleEndian.Uint64([]byte(s[i:i+8]))) {
			n += 8
			if col += 8; col > 75 {
				n += 3 // "=" CRLF within these eight
				col -= 75
			}
			i += 8
			continue
		}
		c := s[i]
		if c == '\n' {
			n += 2 // CRLF
			col = 0
			if i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
				n += 5 // "=20", and perhaps one more soft break
			}
			i++
			continue
		}
		w := int(qpWidth[c])
		if col += w; col > 75 {
			n += 3
			col = w
		}
		n += w
		i++
	}
	if l := len(s); l > 0 && (s[l-1] == ' ' || s[l-1] == '\t') {
		n += 5
	}
	return n
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// plain8 reports whether all eight bytes of x are printable ASCII other
// than "=" (0x20–0x7E, not 0x3D): no byte below 0x20, none above 0x7E,
// none equal to "=".
func plain8(x uint64) bool {
	below := (x - ones*0x20) &^ x & highs
	above := ((x + ones*(127-0x7E)) | x) & highs
	e := x ^ (ones * '=')
	equals := (e - ones) &^ e & highs
	return below|above|equals == 0
}

// qpWidth is the encoded width of each byte on a line: 1 for the bytes
// copied as they are (space, tab and printable ASCII but '='), 3 for the
// others (=XX). A literal, not a table built by a function call, so that
// the package needs no initialiser (issue 17: start-up pages);
// TestQPWidth checks it against that rule.
var qpWidth = [256]uint8{
	3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 3, 3, 3, 3, 3, 3, // 0x00
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0x10
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x20
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, 1, 1, // 0x30
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x40
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x50
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, // 0x60
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 3, // 0x70
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0x80
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0x90
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0xa0
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0xb0
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0xc0
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0xd0
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0xe0
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, // 0xf0
}
