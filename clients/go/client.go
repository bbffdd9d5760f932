// Package cardcheck is the official Go client of cardcheckd: Luhn, card security code and address
// verification over the daemon's Unix socket, in its binary protocol (Protocol/PROTOCOL.md).
//
// A Client holds one connection that every goroutine shares: requests are pipelined and answers matched
// by request id. Each call has a deadline (the context's, or Options.Timeout). A connection that breaks is
// reopened and the request sent again (every operation is idempotent), up to Options.Attempts.
package cardcheck

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// DefaultSocket is cardcheckd's socket under its embedded defaults.
const DefaultSocket = "run/cardcheck.sock"

// Options configure a Client. The zero value means: 5 s per call, 3 attempts.
type Options struct {
	Timeout  time.Duration
	Attempts int
}

// Client is a cardcheckd client, safe for concurrent use.
type Client struct {
	path    string
	options Options

	mu         sync.Mutex
	connection *connection
	nextID     uint32
	closed     bool
	reconnects int
}

// New returns a client of the daemon at path. It connects on the first call.
func New(path string, options Options) *Client {
	if options.Timeout <= 0 {
		options.Timeout = 5 * time.Second
	}
	if options.Attempts <= 0 {
		options.Attempts = 3
	}
	return &Client{path: path, options: options}
}

// Close closes the connection; calls after it fail.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	conn := c.connection
	c.connection = nil
	c.mu.Unlock()
	if conn != nil {
		conn.fail(errConnectionLost)
	}
	return nil
}

// Reconnects counts the connections opened after the first.
func (c *Client) Reconnects() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reconnects
}

// Validate checks a card.
func (c *Client) Validate(ctx context.Context, request ValidateRequest) (*ValidateResult, error) {
	var result *ValidateResult
	err := c.call(ctx, opValidate, func(id uint32) ([]byte, error) { return encodeValidate(id, request) },
		func(f frame) (err error) { result, err = decodeValidate(f); return })
	return result, err
}

// Hello exchanges names and limits with the server.
func (c *Client) Hello(ctx context.Context, clientName string) (*Hello, error) {
	var hello *Hello
	err := c.call(ctx, opHello, func(id uint32) ([]byte, error) { return encodeHello(id, clientName, 1), nil },
		func(f frame) (err error) { hello, err = decodeHello(f); return })
	return hello, err
}

// Ping sends payload (at most 256 bytes) and returns the server's echo.
func (c *Client) Ping(ctx context.Context, payload []byte) ([]byte, error) {
	var echo []byte
	err := c.call(ctx, opPing, func(id uint32) ([]byte, error) { return encodePing(id, payload), nil },
		func(f frame) (err error) { echo, err = decodePing(f); return })
	return echo, err
}

// Interpret explains an AVS and/or a CSC result letter ("" for none).
func (c *Client) Interpret(ctx context.Context, avs, csc string) (*Interpretation, error) {
	var meaning *Interpretation
	err := c.call(ctx, opInterpret, func(id uint32) ([]byte, error) { return encodeInterpret(id, avs, csc), nil },
		func(f frame) (err error) { meaning, err = decodeInterpret(f); return })
	return meaning, err
}

// Stats returns the daemon's counters.
func (c *Client) Stats(ctx context.Context) (*Stats, error) {
	var stats *Stats
	err := c.call(ctx, opStats, func(id uint32) ([]byte, error) { return encodeStats(id, false), nil },
		func(f frame) (err error) { stats, err = decodeStats(f); return })
	return stats, err
}

// Metrics returns the daemon's metrics in the Prometheus text format.
func (c *Client) Metrics(ctx context.Context) (string, error) {
	var text string
	err := c.call(ctx, opStats, func(id uint32) ([]byte, error) { return encodeStats(id, true), nil },
		func(f frame) (err error) { text, err = decodeExposition(f); return })
	return text, err
}

// GenerateCSC makes a card's code with the issuer's key (the peer must be allowed CSC_GENERATE).
func (c *Client) GenerateCSC(ctx context.Context, card SecurityCodeRequest) (*GeneratedCode, error) {
	var generated *GeneratedCode
	err := c.call(ctx, opCSCGenerate,
		func(id uint32) ([]byte, error) { return encodeSecurityCode(opCSCGenerate, id, card, nil), nil },
		func(f frame) (err error) { generated, err = decodeGenerated(f); return })
	return generated, err
}

// VerifyCSC checks a card's code with the issuer's keys: M, N or U.
func (c *Client) VerifyCSC(ctx context.Context, card SecurityCodeRequest, csc string) (*Verification, error) {
	var verification *Verification
	err := c.call(ctx, opCSCVerify,
		func(id uint32) ([]byte, error) { return encodeSecurityCode(opCSCVerify, id, card, &csc), nil },
		func(f frame) (err error) { verification, err = decodeVerification(f); return })
	return verification, err
}

// GenerateCAVV makes a 3-D Secure authentication value (Visa CAVV, Mastercard SPA AAV) with the issuer's key
// (the peer must be listed in the daemon's cavv_generate_users or cavv_generate_groups).
func (c *Client) GenerateCAVV(ctx context.Context, r AuthenticationValueRequest) (*GeneratedAuthenticationValue, error) {
	var generated *GeneratedAuthenticationValue
	err := c.call(ctx, opCAVVGenerate,
		func(id uint32) ([]byte, error) { return encodeAuthenticationValue(opCAVVGenerate, id, r), nil },
		func(f frame) (err error) { generated, err = decodeGeneratedValue(f); return })
	return generated, err
}

// VerifyCAVV checks a 3-D Secure authentication value with the issuer's keys: M, N or U.
func (c *Client) VerifyCAVV(ctx context.Context, pan, authenticationValue string) (*Verification, error) {
	var verification *Verification
	r := AuthenticationValueRequest{PAN: pan, AuthenticationValue: authenticationValue}
	err := c.call(ctx, opCAVVVerify,
		func(id uint32) ([]byte, error) { return encodeAuthenticationValue(opCAVVVerify, id, r), nil },
		func(f frame) (err error) { verification, err = decodeVerification(f); return })
	return verification, err
}

var errConnectionLost = errors.New("cardcheck: the connection closed before the answer")

type answer struct {
	frame frame
	err   error
}

type connection struct {
	conn    net.Conn
	writeMu sync.Mutex

	mu      sync.Mutex
	pending map[uint32]pendingRequest
	closed  bool
	// failure is why the connection closed. A request submitted after the close gets the server's refusal
	// (which can arrive before the first write) and is sent again on a new connection after anything else.
	failure error
}

type pendingRequest struct {
	opcode uint8
	reply  chan answer
}

func (c *connection) submit(id uint32, opcode uint8, data []byte) (chan answer, error) {
	reply := make(chan answer, 1)
	c.mu.Lock()
	if c.closed {
		failure := c.failure
		c.mu.Unlock()
		if _, refused := failure.(*ServerError); refused {
			return nil, failure
		}
		return nil, errConnectionLost
	}
	c.pending[id] = pendingRequest{opcode, reply}
	c.mu.Unlock()
	c.writeMu.Lock()
	// A failed write is not final: the server may have refused us first, and the reader delivers that.
	_, _ = c.conn.Write(data)
	c.writeMu.Unlock()
	return reply, nil
}

func (c *connection) forget(id uint32) {
	c.mu.Lock()
	delete(c.pending, id)
	c.mu.Unlock()
}

func (c *connection) read() {
	reader := frameReader{maximum: 1 << 24}
	buffer := make([]byte, 65536)
	failure := errConnectionLost
	for {
		n, err := c.conn.Read(buffer)
		if n > 0 {
			frames, ferr := reader.feed(buffer[:n])
			if ferr != nil {
				c.fail(ferr)
				return
			}
			for _, f := range frames {
				if f.requestID == 0 && f.opcode == opError {
					// A refusal, or a stream the server gave up on: it closes next.
					serverError, derr := decodeError(f)
					if derr != nil {
						c.fail(derr)
						return
					}
					failure = serverError
					continue
				}
				c.mu.Lock()
				request, ok := c.pending[f.requestID]
				if ok && f.opcode != request.opcode|0x80 && f.opcode != opError {
					c.mu.Unlock()
					c.fail(&ProtocolError{"a response with another operation's opcode"})
					return
				}
				delete(c.pending, f.requestID)
				c.mu.Unlock()
				if ok {
					request.reply <- answer{frame: f}
				}
			}
		}
		if err != nil {
			c.fail(failure)
			return
		}
	}
}

// fail closes the connection and gives err to every request still waiting.
func (c *connection) fail(err error) {
	c.mu.Lock()
	waiting := c.pending
	c.pending = map[uint32]pendingRequest{}
	if !c.closed {
		c.closed = true
		c.failure = err
	}
	c.mu.Unlock()
	for _, request := range waiting {
		request.reply <- answer{err: err}
	}
	c.conn.Close()
}

func (c *Client) connect(ctx context.Context) (*connection, error) {
	delay := 20 * time.Millisecond
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, &ConnectionError{c.path, "the client is closed"}
		}
		if c.connection != nil && !c.connection.isClosed() {
			conn := c.connection
			c.mu.Unlock()
			return conn, nil
		}
		var dialer net.Dialer
		raw, err := dialer.DialContext(ctx, "unix", c.path)
		if err == nil {
			conn := &connection{conn: raw, pending: map[uint32]pendingRequest{}}
			if c.connection != nil {
				c.reconnects++
			}
			c.connection = conn
			c.mu.Unlock()
			go conn.read()
			return conn, nil
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, &ConnectionError{c.path, "cannot connect: " + err.Error()}
		case <-time.After(delay):
		}
		if delay < 500*time.Millisecond {
			delay *= 2
		}
	}
}

func (c *connection) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *Client) id() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextID++
	if c.nextID == 0 {
		c.nextID = 1
	}
	return c.nextID
}

func (c *Client) call(ctx context.Context, opcode uint8, encode func(uint32) ([]byte, error), decode func(frame) error) error {
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.options.Timeout)
		defer cancel()
	}
	for attempt := 0; attempt < c.options.Attempts; attempt++ {
		conn, err := c.connect(ctx)
		if err != nil {
			if ctx.Err() != nil && attempt > 0 {
				return TimeoutError{}
			}
			return err
		}
		id := c.id()
		data, err := encode(id)
		if err != nil {
			return err
		}
		reply, err := conn.submit(id, opcode, data)
		if err == errConnectionLost {
			continue
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			conn.forget(id)
			return TimeoutError{}
		case got := <-reply:
			if got.err == errConnectionLost {
				continue
			}
			if got.err != nil {
				return got.err
			}
			if got.frame.opcode == opError {
				serverError, err := decodeError(got.frame)
				if err != nil {
					conn.fail(err)
					return err
				}
				return serverError
			}
			if err := decode(got.frame); err != nil {
				conn.fail(err)
				return err
			}
			return nil
		}
	}
	return &ConnectionError{c.path, "the connection kept breaking"}
}
