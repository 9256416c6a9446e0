package feed

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// firstRetransmit is how long a DNS query over UDP waits for its answer
// before it is sent again; each later wait doubles (resends at 0.25, 0.75,
// 1.75 and 3.75 s, inside the 5 s Go's resolver allows by default). Go's
// resolver sends a query once and waits the whole resolv.conf timeout for
// it. A resolver that drops queries when many arrive at once (a run's
// first page fetches ask for dozens of new names within a few
// milliseconds) then costs 5 s per dropped query. This machine's resolver
// answers a burst of about 50 queries and then about 50 a second (a
// throwaway probe of raw UDP queries at fixed rates, 6 December 2026), so
// a dropped query is usually answered a quarter of a second later; a
// first resend after a whole second left the gather waiting for names
// the resolver would have answered. An answer takes a few milliseconds,
// so a resend rarely duplicates a query that was merely slow.
const firstRetransmit = 250 * time.Millisecond

// retransmitting returns a resolver that behaves like r (nil: the
// system's configuration) but resends an unanswered UDP query after
// firstRetransmit, then after twice that, and so on, within the deadline
// Go's resolver sets for the exchange. It is Go's own resolver
// (PreferGo), since only that one dials through Resolver.Dial.
func retransmitting(r *net.Resolver) *net.Resolver {
	var (
		dial   func(ctx context.Context, network, address string) (net.Conn, error)
		strict bool
	)
	if r != nil {
		dial, strict = r.Dial, r.StrictErrors
	}
	if dial == nil {
		var d net.Dialer
		dial = d.DialContext
	}
	return &net.Resolver{
		PreferGo:     true,
		StrictErrors: strict,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			c, err := dial(ctx, network, address)
			if err != nil {
				return nil, err
			}
			// Go's resolver frames its messages by the connection's
			// type: a PacketConn gets one datagram per message. Only
			// those are resent; TCP retransmits by itself.
			if pc, ok := c.(packetConn); ok {
				return &resendConn{packetConn: pc}, nil
			}
			return c, nil
		},
	}
}

// packetConn is a connected datagram socket, as net.Dial("udp", …) returns.
type packetConn interface {
	net.Conn
	net.PacketConn
}

// resendConn is a DNS client's UDP socket that resends the last query
// written while no answer comes. Answers to any copy share the query's
// ID, so Go's resolver takes the first that arrives.
type resendConn struct {
	packetConn
	query    []byte
	deadline time.Time // the read deadline Go's resolver set
}

func (c *resendConn) Write(b []byte) (int, error) {
	c.query = append(c.query[:0], b...)
	return c.packetConn.Write(b)
}

func (c *resendConn) SetDeadline(t time.Time) error {
	c.deadline = t
	return c.packetConn.SetDeadline(t)
}

func (c *resendConn) SetReadDeadline(t time.Time) error {
	c.deadline = t
	return c.packetConn.SetReadDeadline(t)
}

// Read waits for a datagram until the deadline, resending the query each
// time a shorter, doubling wait passes without one.
func (c *resendConn) Read(b []byte) (int, error) {
	wait := firstRetransmit
	for {
		step := time.Now().Add(wait)
		if len(c.query) == 0 || (!c.deadline.IsZero() && !step.Before(c.deadline)) {
			if err := c.packetConn.SetReadDeadline(c.deadline); err != nil {
				return 0, fmt.Errorf("dns read deadline: %w", err)
			}
			return c.packetConn.Read(b)
		}
		if err := c.packetConn.SetReadDeadline(step); err != nil {
			return 0, fmt.Errorf("dns read deadline: %w", err)
		}
		n, err := c.packetConn.Read(b)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			// An answer or a real error: restore the caller's deadline
			// for the next Read.
			if derr := c.packetConn.SetReadDeadline(c.deadline); derr != nil && err == nil {
				return n, fmt.Errorf("dns read deadline: %w", derr)
			}
			return n, err
		}
		if _, err := c.packetConn.Write(c.query); err != nil {
			return 0, err
		}
		wait *= 2
	}
}
