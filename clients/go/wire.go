package cardcheck

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// The binary protocol of Protocol/PROTOCOL.md: frames, fields and the operations' codecs. No sockets.

const (
	protocolVersion = 0xC1
	opHello         = 0x01
	opPing          = 0x02
	opValidate      = 0x03
	opInterpret     = 0x04
	opStats         = 0x05
	opCSCGenerate   = 0x06
	opCSCVerify     = 0x07
	opCAVVGenerate  = 0x08
	opCAVVVerify    = 0x09
	opError         = 0xFF

	flagStrictStreet     = 0x0001
	flagInternationalAVS = 0x0002
	flagPrometheus       = 0x0001
)

type field struct {
	tag   uint8
	value []byte
}

type frame struct {
	version, opcode uint8
	flags           uint16
	requestID       uint32
	fields          []field
}

func appendField(body []byte, tag uint8, value []byte) []byte {
	body = append(body, tag, byte(len(value)>>8), byte(len(value)))
	return append(body, value...)
}

func encodeFrame(opcode uint8, requestID uint32, flags uint16, body []byte) []byte {
	out := make([]byte, 12, 12+len(body))
	binary.BigEndian.PutUint32(out, uint32(8+len(body)))
	out[4], out[5] = protocolVersion, opcode
	binary.BigEndian.PutUint16(out[6:], flags)
	binary.BigEndian.PutUint32(out[8:], requestID)
	return append(out, body...)
}

func encodeValidate(requestID uint32, r ValidateRequest) ([]byte, error) {
	var body []byte
	text := func(tag uint8, value *string) {
		if value != nil {
			body = appendField(body, tag, []byte(*value))
		}
	}
	text(0x01, r.PAN)
	text(0x02, r.Expiry)
	text(0x03, r.CSC)
	if r.CSCIndicator != nil {
		if *r.CSCIndicator < 0 || *r.CSCIndicator > 255 {
			return nil, fmt.Errorf("cardcheck: CSCIndicator is 0, 1, 2 or 9")
		}
		body = appendField(body, 0x04, []byte{byte(*r.CSCIndicator)})
	}
	text(0x10, r.Street)
	text(0x11, r.PostalCode)
	text(0x12, r.Country)
	text(0x20, r.OnFileStreet)
	text(0x21, r.OnFilePostalCode)
	text(0x22, r.OnFileCountry)
	text(0x30, r.ThreeDSStatus)
	text(0x31, r.ECI)
	text(0x32, r.AuthenticationValue)
	text(0x33, r.ThreeDSVersion)
	text(0x34, r.ThreeDSStatusReason)
	text(0x40, r.Profile)
	var flags uint16
	if r.StrictStreet {
		flags |= flagStrictStreet
	}
	if r.InternationalAVS {
		flags |= flagInternationalAVS
	}
	return encodeFrame(opValidate, requestID, flags, body), nil
}

func encodeHello(requestID uint32, clientName string, highest uint8) []byte {
	return encodeFrame(opHello, requestID, 0, appendField(appendField(nil, 1, []byte(clientName)), 2, []byte{highest}))
}

func encodePing(requestID uint32, payload []byte) []byte {
	var body []byte
	if len(payload) > 0 {
		body = appendField(nil, 1, payload)
	}
	return encodeFrame(opPing, requestID, 0, body)
}

func encodeInterpret(requestID uint32, avs, csc string) []byte {
	var body []byte
	if avs != "" {
		body = appendField(body, 1, []byte(avs))
	}
	if csc != "" {
		body = appendField(body, 2, []byte(csc))
	}
	return encodeFrame(opInterpret, requestID, 0, body)
}

func encodeStats(requestID uint32, prometheus bool) []byte {
	var flags uint16
	if prometheus {
		flags = flagPrometheus
	}
	return encodeFrame(opStats, requestID, flags, nil)
}

// SecurityCodeRequest is a card for CSC_GENERATE or CSC_VERIFY. ServiceCode "" means 000 (the printed code).
type SecurityCodeRequest struct {
	PAN, Expiry, ServiceCode string
}

func (r SecurityCodeRequest) String() string {
	return "SecurityCodeRequest{PAN:" + maskPAN(r.PAN) + " Expiry:" + r.Expiry + " ServiceCode:" + r.ServiceCode + "}"
}

func encodeSecurityCode(opcode uint8, requestID uint32, r SecurityCodeRequest, csc *string) []byte {
	body := appendField(appendField(nil, 1, []byte(r.PAN)), 2, []byte(r.Expiry))
	if r.ServiceCode != "" {
		body = appendField(body, 3, []byte(r.ServiceCode))
	}
	if csc != nil {
		body = appendField(body, 4, []byte(*csc))
	}
	return encodeFrame(opcode, requestID, 0, body)
}

// AuthenticationValueRequest is a card and what to make for CAVV_GENERATE (PAN and ThreeDSStatus Y or A
// required; "" leaves a field out, taking PROTOCOL.md's default), or the value to check for CAVV_VERIFY
// (PAN and AuthenticationValue, base64 of 20 bytes or 40 hex digits). Visa cards get a CAVV, Mastercard and
// Maestro cards an SPA AAV.
type AuthenticationValueRequest struct {
	PAN, AuthenticationValue, ThreeDSStatus string
	// Visa: the CAVV key indicator (01-99); Mastercard: the BIN key id (0-15).
	KeyIndicator string
	// Visa: the 16-digit authentication tracking number; Mastercard: the 8-hex-digit sequence number.
	TransactionNumber string
	// Visa: the 2-digit second factor authentication code.
	SecondFactor string
	// Mastercard: the merchant's name, the ACS identifier (0-7), the authentication method (0-3).
	MerchantName, ACSID, AuthenticationMethod string
}

// String masks the PAN and hides the value.
func (r AuthenticationValueRequest) String() string {
	return "AuthenticationValueRequest{PAN:" + maskPAN(r.PAN) + " ThreeDSStatus:" + r.ThreeDSStatus + "}"
}

// GoString keeps %#v from printing the PAN or the value.
func (r AuthenticationValueRequest) GoString() string { return r.String() }

func encodeAuthenticationValue(opcode uint8, requestID uint32, r AuthenticationValueRequest) []byte {
	var body []byte
	for tag, value := range []string{r.PAN, r.AuthenticationValue, r.ThreeDSStatus, r.KeyIndicator,
		r.TransactionNumber, r.SecondFactor, r.MerchantName, r.ACSID, r.AuthenticationMethod} {
		if value != "" {
			body = appendField(body, uint8(tag+1), []byte(value))
		}
	}
	return encodeFrame(opcode, requestID, 0, body)
}

// frameReader splits a byte stream into frames. A length under 8 or over the maximum, or a version byte
// without the 0xC magic, is a ProtocolError: the stream cannot be trusted any more.
type frameReader struct {
	buffer  []byte
	maximum uint32
}

func (r *frameReader) feed(data []byte) ([]frame, error) {
	r.buffer = append(r.buffer, data...)
	var frames []frame
	for len(r.buffer) >= 4 {
		length := binary.BigEndian.Uint32(r.buffer)
		if length < 8 || length > r.maximum {
			return nil, &ProtocolError{fmt.Sprintf("a response frame of %d bytes", length)}
		}
		if uint32(len(r.buffer)) < 4+length {
			break
		}
		raw := r.buffer[4 : 4+length]
		if raw[0]>>4 != 0xC {
			return nil, &ProtocolError{fmt.Sprintf("a response without the protocol's magic (0x%02x)", raw[0])}
		}
		fields, err := parseFields(raw[8:])
		if err != nil {
			return nil, err
		}
		frames = append(frames, frame{raw[0], raw[1], binary.BigEndian.Uint16(raw[2:]), binary.BigEndian.Uint32(raw[4:]), fields})
		r.buffer = r.buffer[4+length:]
	}
	if len(r.buffer) == 0 {
		r.buffer = nil
	}
	return frames, nil
}

func parseFields(body []byte) ([]field, error) {
	var fields []field
	for offset := 0; offset < len(body); {
		if offset+3 > len(body) {
			return nil, &ProtocolError{"a response field header runs past its frame"}
		}
		length := int(binary.BigEndian.Uint16(body[offset+1:]))
		if offset+3+length > len(body) {
			return nil, &ProtocolError{"a response field runs past its frame"}
		}
		value := make([]byte, length)
		copy(value, body[offset+3:])
		fields = append(fields, field{body[offset], value})
		offset += 3 + length
	}
	return fields, nil
}

// fieldMap reads a response's fields: a tag twice, a wrong size or a non-UTF-8 text is a ProtocolError.
type fieldMap struct {
	values map[uint8][]byte
	err    error
}

func fieldsOf(f frame) *fieldMap {
	m := &fieldMap{values: map[uint8][]byte{}}
	for _, each := range f.fields {
		if _, twice := m.values[each.tag]; twice {
			m.fail("response field 0x%02x appears twice", each.tag)
		}
		m.values[each.tag] = each.value
	}
	return m
}

func (m *fieldMap) fail(format string, args ...interface{}) {
	if m.err == nil {
		m.err = &ProtocolError{fmt.Sprintf(format, args...)}
	}
}

func (m *fieldMap) has(tag uint8) bool { _, ok := m.values[tag]; return ok }

func (m *fieldMap) text(tag uint8, name string) *string {
	value, ok := m.values[tag]
	if !ok {
		return nil
	}
	if !utf8.Valid(value) {
		m.fail("response field %s is not UTF-8", name)
	}
	s := string(value)
	return &s
}

func (m *fieldMap) letter(tag uint8, name string) *string {
	s := m.text(tag, name)
	if s != nil && (len(*s) != 1 || (*s)[0] < 'A' || (*s)[0] > 'Z') {
		m.fail("response field %s is not one letter", name)
	}
	return s
}

func (m *fieldMap) unsigned(tag uint8, size int, name string) *uint64 {
	value, ok := m.values[tag]
	if !ok {
		return nil
	}
	if len(value) != size {
		m.fail("response field %s is %d bytes, not %d", name, len(value), size)
		return nil
	}
	var number uint64
	for _, b := range value {
		number = number<<8 | uint64(b)
	}
	return &number
}

func (m *fieldMap) boolean(tag uint8, name string) *bool {
	number := m.unsigned(tag, 1, name)
	if number == nil {
		return nil
	}
	if *number > 1 {
		m.fail("response field %s is not a boolean", name)
	}
	b := *number == 1
	return &b
}

func (m *fieldMap) action(tag uint8, name string) *Action {
	number := m.unsigned(tag, 1, name)
	if number == nil {
		return nil
	}
	if *number > 3 {
		m.fail("response field %s has an unknown action", name)
	}
	a := Action(*number)
	return &a
}

func cscResult(letter *string) *CSCResult {
	if letter == nil {
		return nil
	}
	result := CSCResult(*letter)
	return &result
}

func avsResult(letter *string) *AVSResult {
	if letter == nil {
		return nil
	}
	result := AVSResult(*letter)
	return &result
}

func decodeError(f frame) (*ServerError, error) {
	m := fieldsOf(f)
	kind, code := m.unsigned(1, 1, "kind"), m.text(2, "code")
	if kind == nil || code == nil {
		m.fail("an error response without its kind or code")
	}
	e := &ServerError{RequestID: f.requestID}
	if m.err == nil {
		e.Kind, e.Code = ErrorKind(*kind), *code
		if field := m.text(3, "field"); field != nil {
			e.Field = *field
		}
		if message := m.text(4, "message"); message != nil {
			e.Message = *message
		}
		if wait := m.unsigned(5, 4, "retry_after_ms"); wait != nil {
			e.RetryAfter = time.Duration(*wait) * time.Millisecond
		}
	}
	return e, m.err
}

func decodeValidate(f frame) (*ValidateResult, error) {
	m := fieldsOf(f)
	r := &ValidateResult{MaskedPAN: m.text(1, "masked_pan"), LuhnValid: m.boolean(2, "luhn_valid"),
		LengthValid: m.boolean(4, "length_valid"), CSCFormatValid: m.boolean(7, "csc_format_valid"),
		CSCResult: cscResult(m.letter(8, "csc_result")), AVSResult: avsResult(m.letter(9, "avs_result")),
		AVSStreetMatch: m.boolean(0x0A, "avs_street_match"), AVSPostalMatch: m.boolean(0x0B, "avs_postal_match")}
	if brand := m.text(3, "brand"); brand != nil {
		b := Brand(*brand)
		r.Brand = &b
	}
	if expiry := m.unsigned(5, 1, "expiry"); expiry != nil {
		if *expiry > 3 {
			m.fail("response field expiry has an unknown value")
		}
		status := ExpiryStatus(*expiry)
		r.Expiry = &status
	}
	if presence := m.unsigned(6, 1, "csc_presence"); presence != nil {
		if p := CSCPresence(*presence); p == CSCNotProvided || p == CSCProvided || p == CSCIllegible || p == CSCNotOnCard {
			r.CSCPresence = &p
		} else {
			m.fail("response field csc_presence has an unknown value")
		}
	}
	action, mask := m.action(0x0C, "action"), m.unsigned(0x0D, 8, "reasons")
	if action == nil || mask == nil {
		m.fail("a VALIDATE response without its action or reasons")
		return nil, m.err
	}
	r.Action = *action
	r.Reasons = []string{}
	for bit := 0; bit < 64; bit++ {
		if *mask>>uint(bit)&1 == 1 {
			r.Reasons = append(r.Reasons, ReasonName(bit))
		}
	}
	if legacy := m.text(0x0E, "legacy_brand"); legacy != nil {
		b := Brand(*legacy)
		r.LegacyBrand = &b
	}
	r.IssuerCountry, r.Product, r.Issuer = m.text(0x0F, "issuer_country"), m.text(0x11, "product"), m.text(0x12, "issuer")
	if funding := m.unsigned(0x10, 1, "funding"); funding != nil {
		if *funding < 1 || *funding > uint64(DeferredDebit) {
			m.fail("response field funding has an unknown value")
		}
		f := Funding(*funding)
		r.Funding = &f
	}
	if networks := m.text(0x13, "networks"); networks != nil {
		for _, name := range strings.Split(*networks, ";") {
			r.Networks = append(r.Networks, Brand(name))
		}
	}
	if result := m.unsigned(0x14, 1, "three_ds_result"); result != nil {
		if *result < 1 || *result > uint64(ThreeDSInvalid) {
			m.fail("response field three_ds_result has an unknown value")
		}
		value := ThreeDSResult(*result)
		r.ThreeDSResult = &value
	}
	r.LiabilityShift = m.boolean(0x15, "liability_shift")
	if letter := m.text(0x16, "authentication_value_result"); letter != nil {
		if *letter != "M" && *letter != "N" && *letter != "U" {
			m.fail("response field authentication_value_result is not M, N or U")
		}
		r.AuthenticationValueResult = letter
	}
	return r, m.err
}

func decodeHello(f frame) (*Hello, error) {
	m := fieldsOf(f)
	h := &Hello{}
	if s := m.text(1, "server_name"); s != nil {
		h.ServerName = *s
	}
	if s := m.text(2, "server_version"); s != nil {
		h.ServerVersion = *s
	}
	if v := m.unsigned(3, 1, "protocol_version"); v != nil {
		h.ProtocolVersion = uint8(*v)
	}
	if v := m.unsigned(4, 4, "max_frame"); v != nil {
		h.MaxFrame = uint32(*v)
	}
	if v := m.unsigned(5, 4, "max_in_flight"); v != nil {
		h.MaxInFlight = uint32(*v)
	}
	return h, m.err
}

func decodePing(f frame) ([]byte, error) {
	m := fieldsOf(f)
	return append([]byte{}, m.values[1]...), m.err
}

func decodeInterpret(f frame) (*Interpretation, error) {
	m := fieldsOf(f)
	flag := func(tag uint8, name string) *AVSFlag {
		v := m.unsigned(tag, 1, name)
		if v == nil {
			return nil
		}
		if *v > 3 {
			m.fail("response field %s has an unknown value", name)
		}
		flag := AVSFlag(*v)
		return &flag
	}
	i := &Interpretation{AVSMeaning: m.text(1, "avs_meaning"), AVSStreet: flag(2, "avs_street"),
		AVSPostal: flag(3, "avs_postal"), AVSAction: m.action(4, "avs_action"), AVSAdvice: m.text(5, "avs_advice"),
		CSCMeaning: m.text(0x10, "csc_meaning"), CSCAction: m.action(0x11, "csc_action"),
		CSCAdvice: m.text(0x12, "csc_advice")}
	action := m.action(0x20, "action")
	if action == nil {
		m.fail("an INTERPRET response without its action")
		return nil, m.err
	}
	i.Action = *action
	return i, m.err
}

func decodeStats(f frame) (*Stats, error) {
	m := fieldsOf(f)
	return &Stats{m.unsigned(1, 8, "uptime_seconds"), m.unsigned(2, 8, "open_connections"),
		m.unsigned(3, 8, "connections_accepted"), m.unsigned(4, 8, "connections_refused"),
		m.unsigned(5, 8, "requests"), m.unsigned(6, 8, "validate_requests"), m.unsigned(7, 8, "errors"),
		m.unsigned(8, 8, "worker_queues")}, m.err
}

func decodeExposition(f frame) (string, error) {
	m := fieldsOf(f)
	if s := m.text(0x20, "exposition"); s != nil {
		return *s, m.err
	}
	return "", m.err
}

func decodeGenerated(f frame) (*GeneratedCode, error) {
	m := fieldsOf(f)
	code := m.text(1, "code")
	if code == nil {
		m.fail("a CSC_GENERATE response without its code")
		return nil, m.err
	}
	g := &GeneratedCode{Code: *code}
	if s := m.text(2, "key"); s != nil {
		g.Key = *s
	}
	if s := m.text(3, "kcv"); s != nil {
		g.KCV = *s
	}
	return g, m.err
}

func decodeGeneratedValue(f frame) (*GeneratedAuthenticationValue, error) {
	m := fieldsOf(f)
	value := m.text(1, "authentication_value")
	if value == nil {
		m.fail("a CAVV_GENERATE response without its value")
		return nil, m.err
	}
	if decoded, err := base64.StdEncoding.DecodeString(*value); err != nil || len(decoded) != 20 {
		m.fail("a CAVV_GENERATE response whose value is not the base64 of 20 bytes")
		return nil, m.err
	}
	g := &GeneratedAuthenticationValue{AuthenticationValue: *value}
	if s := m.text(2, "key"); s != nil {
		g.Key = *s
	}
	if s := m.text(3, "kcv"); s != nil {
		g.KCV = *s
	}
	return g, m.err
}

func decodeVerification(f frame) (*Verification, error) {
	m := fieldsOf(f)
	result := m.letter(4, "result")
	if result == nil || (*result != "M" && *result != "N" && *result != "U" && *result != "L") {
		m.fail("a CSC_VERIFY or CAVV_VERIFY response without M, N, U or L")
		return nil, m.err
	}
	v := &Verification{Result: CSCResult(*result)}
	if s := m.text(2, "key"); s != nil {
		v.Key = *s
	}
	if s := m.text(3, "kcv"); s != nil {
		v.KCV = *s
	}
	return v, m.err
}
