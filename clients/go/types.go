package cardcheck

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Reasons in the order of Protocol/JSONLINES.md: bit n of the wire's reason mask is Reasons[n].
var Reasons = func() []string {
	names := []string{"luhn_failed", "unionpay_luhn_failed", "brand_unknown", "length_invalid",
		"expiry_malformed", "expired", "expiry_too_far", "csc_not_provided"}
	for _, letter := range "DIMNPSUX" {
		names = append(names, "csc_"+string(letter))
	}
	for letter := 'A'; letter <= 'Z'; letter++ {
		names = append(names, "avs_"+string(letter))
	}
	return append(names, "funding_prepaid", "funding_debit", "funding_credit", "country_mismatch",
		"luhn_optional_failed", "three_ds_not_authenticated", "three_ds_rejected", "three_ds_unavailable",
		"three_ds_pending", "three_ds_eci_mismatch", "three_ds_value_missing", "three_ds_value_invalid",
		"three_ds_value_mismatch")
}()

// ReasonName is the name of reason bit n; a bit newer than this client is shown by its number.
func ReasonName(bit int) string {
	if bit < len(Reasons) {
		return Reasons[bit]
	}
	return fmt.Sprintf("reason_%d", bit)
}

// Funding is how a card is funded, from the server's range file.
type Funding uint8

// Funding values, as on the wire.
const (
	Credit Funding = iota + 1
	Debit
	Prepaid
	Charge
	DeferredDebit
)

func (f Funding) String() string {
	switch f {
	case Credit:
		return "credit"
	case Debit:
		return "debit"
	case Prepaid:
		return "prepaid"
	case Charge:
		return "charge"
	case DeferredDebit:
		return "deferred_debit"
	}
	return fmt.Sprintf("funding(%d)", uint8(f))
}

// ThreeDSResult is what the server made of a request's 3-D Secure data.
type ThreeDSResult uint8

// ThreeDSResult values, as on the wire.
const (
	ThreeDSAuthenticated ThreeDSResult = iota + 1
	ThreeDSAttempted
	ThreeDSNotAuthenticated
	ThreeDSUnavailable
	ThreeDSRejected
	ThreeDSPending
	ThreeDSInformational
	ThreeDSInvalid
)

var threeDSResultNames = []string{"authenticated", "attempted", "not_authenticated", "unavailable", "rejected",
	"pending", "informational", "invalid"}

func (r ThreeDSResult) String() string {
	if r >= ThreeDSAuthenticated && r <= ThreeDSInvalid {
		return threeDSResultNames[r-1]
	}
	return fmt.Sprintf("three_ds_result(%d)", uint8(r))
}

// Action is the recommended action, least to most severe.
type Action uint8

const (
	Accept Action = iota
	Review
	Retry
	Decline
)

func (a Action) String() string {
	switch a {
	case Accept:
		return "accept"
	case Review:
		return "review"
	case Retry:
		return "retry"
	case Decline:
		return "decline"
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Brand is a card brand name of Protocol/JSONLINES.md; a brand this client does not know (one the server's
// brands file declares, or a newer built-in one) keeps its name.
type Brand string

const (
	Visa            Brand = "visa"
	Mastercard      Brand = "mastercard"
	AmericanExpress Brand = "american-express"
	DinersClub      Brand = "diners-club"
	Discover        Brand = "discover"
	JCB             Brand = "jcb"
	UnionPay        Brand = "unionpay"
	Maestro         Brand = "maestro"
	Elo             Brand = "elo"
	Mir             Brand = "mir"
	Hiper           Brand = "hiper"
	Hipercard       Brand = "hipercard"
	Naranja         Brand = "naranja"
	Verve           Brand = "verve"
	Troy            Brand = "troy"
	Dankort         Brand = "dankort"
	Forbrugs        Brand = "forbrugsforeningen"
	Cabal           Brand = "cabal"
	Alelo           Brand = "alelo"
	Alia            Brand = "alia"
	VR              Brand = "vr"
	Sodexo          Brand = "sodexo"
	Carnet          Brand = "carnet"
	CartesBancaires Brand = "cartes-bancaires"
	Olimpica        Brand = "olimpica"
	Creditel        Brand = "creditel"
	Confiable       Brand = "confiable"
	Synchrony       Brand = "synchrony"
	Routex          Brand = "routex"
	Mada            Brand = "mada"
	BPPlus          Brand = "bp-plus"
	Passcard        Brand = "passcard"
	Edenred         Brand = "edenred"
	Anda            Brand = "anda"
	TarjetaD        Brand = "tarjeta-d"
	Panal           Brand = "panal"
	UATP            Brand = "uatp"
	// Legacy names: only ever a LegacyBrand, beside the live brand.
	Switch Brand = "switch"
	Solo   Brand = "solo"
)

// CSCResult is a card security code result letter: M match, N no match, P not processed, S should be on
// the card, U unavailable or no key, and the gateway letters D, I and X.
type CSCResult string

const (
	CSCMatch          CSCResult = "M"
	CSCNoMatch        CSCResult = "N"
	CSCNotProcessed   CSCResult = "P"
	CSCShouldBeOnCard CSCResult = "S"
	CSCUnavailable    CSCResult = "U"
	CSCSuspicious     CSCResult = "D"
	CSCFailedData     CSCResult = "I"
	CSCNoResponse     CSCResult = "X"
	// CSCLocked: the card is locked by the daemon's velocity limits; the code was not checked.
	CSCLocked CSCResult = "L"
)

// AVSResult is an AVS result letter, A to Z: X Y A W Z N U R G domestic, D B P C I international.
type AVSResult string

const (
	AVSExactNine      AVSResult = "X"
	AVSExactFive      AVSResult = "Y"
	AVSStreetOnly     AVSResult = "A"
	AVSNineOnly       AVSResult = "W"
	AVSFiveOnly       AVSResult = "Z"
	AVSNoneMatch      AVSResult = "N"
	AVSUnavailable    AVSResult = "U"
	AVSRetry          AVSResult = "R"
	AVSGlobal         AVSResult = "G"
	AVSIntlBoth       AVSResult = "D"
	AVSIntlStreet     AVSResult = "B"
	AVSIntlPostal     AVSResult = "P"
	AVSIntlNeither    AVSResult = "C"
	AVSIntlNotChecked AVSResult = "I"
)

// ExpiryStatus is the wire's expiry outcome.
type ExpiryStatus uint8

const (
	ExpiryValid ExpiryStatus = iota
	ExpiryMalformed
	ExpiryExpired
	ExpiryTooFarAhead
)

// CSCPresence says whether a code was given, and if not, why.
type CSCPresence uint8

const (
	CSCNotProvided CSCPresence = 0
	CSCProvided    CSCPresence = 1
	CSCIllegible   CSCPresence = 2
	CSCNotOnCard   CSCPresence = 9
)

func (p CSCPresence) String() string {
	switch p {
	case CSCNotProvided:
		return "not_provided"
	case CSCProvided:
		return "provided"
	case CSCIllegible:
		return "illegible"
	case CSCNotOnCard:
		return "not_on_card"
	}
	return fmt.Sprintf("csc_presence(%d)", uint8(p))
}

// AVSFlag is how one part of an address compared (INTERPRET).
type AVSFlag uint8

const (
	AVSMatch AVSFlag = iota
	AVSNoMatch
	AVSNotChecked
	AVSNotSupported
)

func (f AVSFlag) String() string {
	return [...]string{"match", "no_match", "not_checked", "not_supported"}[f&3]
}

// ValidateRequest has the JSON Lines request keys; nil means absent. String and Int make the pointers.
// Its String and GoString never show the PAN in full nor the code.
type ValidateRequest struct {
	PAN              *string
	Expiry           *string
	CSC              *string
	CSCIndicator     *int
	Street           *string
	PostalCode       *string
	Country          *string
	OnFileStreet     *string
	OnFilePostalCode *string
	OnFileCountry    *string
	// 3-D Secure as the gateway received it (Protocol/JSONLINES.md); the others need ThreeDSStatus.
	ThreeDSStatus       *string
	ECI                 *string
	AuthenticationValue *string
	ThreeDSVersion      *string
	ThreeDSStatusReason *string
	// Profile names a merchant's policy profile on the daemon (its profiles directory); nil: the daemon's policy.
	Profile *string
	// The AVS options of the VALIDATE flags.
	StrictStreet     bool
	InternationalAVS bool
}

// String returns a pointer to s, for the optional fields of requests.
func String(s string) *string { return &s }

// Int returns a pointer to i, for CSCIndicator.
func Int(i int) *int { return &i }

func maskPAN(pan string) string {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, pan)
	if len(digits) < 12 {
		return "…"
	}
	return digits[:6] + "…" + digits[len(digits)-4:]
}

func (r ValidateRequest) String() string {
	var parts []string
	if r.PAN != nil {
		parts = append(parts, "PAN:"+maskPAN(*r.PAN))
	}
	if r.CSC != nil {
		parts = append(parts, "CSC:<hidden>")
	}
	add := func(name string, value *string) {
		if value != nil {
			parts = append(parts, fmt.Sprintf("%s:%q", name, *value))
		}
	}
	add("Expiry", r.Expiry)
	if r.CSCIndicator != nil {
		parts = append(parts, fmt.Sprintf("CSCIndicator:%d", *r.CSCIndicator))
	}
	add("Street", r.Street)
	add("PostalCode", r.PostalCode)
	add("Country", r.Country)
	add("OnFileStreet", r.OnFileStreet)
	add("OnFilePostalCode", r.OnFilePostalCode)
	add("OnFileCountry", r.OnFileCountry)
	add("ThreeDSStatus", r.ThreeDSStatus)
	add("ECI", r.ECI)
	if r.AuthenticationValue != nil {
		parts = append(parts, "AuthenticationValue:<hidden>")
	}
	add("ThreeDSVersion", r.ThreeDSVersion)
	add("ThreeDSStatusReason", r.ThreeDSStatusReason)
	add("Profile", r.Profile)
	return "ValidateRequest{" + strings.Join(parts, " ") + "}"
}

// GoString keeps %#v from printing the pointers' targets.
func (r ValidateRequest) GoString() string { return r.String() }

// ValidateResult has the JSON Lines result keys; nil where the check was not asked.
// MarshalJSON gives exactly the JSON Lines result object: its keys, in order, and values.
type ValidateResult struct {
	MaskedPAN      *string
	LuhnValid      *bool
	Brand          *Brand
	LengthValid    *bool
	Expiry         *ExpiryStatus
	CSCPresence    *CSCPresence
	CSCFormatValid *bool
	CSCResult      *CSCResult
	AVSResult      *AVSResult
	AVSStreetMatch *bool
	AVSPostalMatch *bool
	Action         Action
	Reasons        []string
	// From the server's card data (built-in legacy names, and its range file): nil when not known.
	LegacyBrand   *Brand
	IssuerCountry *string
	Funding       *Funding
	Product       *string
	Issuer        *string
	Networks      []Brand
	// With 3-D Secure data in the request: nil without.
	ThreeDSResult  *ThreeDSResult
	LiabilityShift *bool
	// AuthenticationValueResult is the value checked with the issuer's key: "M", "N" or "U" (no key).
	AuthenticationValueResult *string
}

// ExpiryValid is the JSON Lines expiry_valid: nil when no expiry was given.
func (r *ValidateResult) ExpiryValid() *bool {
	if r.Expiry == nil {
		return nil
	}
	valid := *r.Expiry == ExpiryValid
	return &valid
}

// MarshalJSON writes the JSON Lines result object, byte for byte as cardcheck validate writes it.
func (r *ValidateResult) MarshalJSON() ([]byte, error) {
	var out bytes.Buffer
	out.WriteByte('{')
	key := func(name string, value interface{}) {
		if out.Len() > 1 {
			out.WriteByte(',')
		}
		out.WriteString(`"` + name + `":`)
		// As cardcheck writes JSON: no HTML escaping of <, > and & (free text from a range file may hold them).
		var encoded bytes.Buffer
		encoder := json.NewEncoder(&encoded)
		encoder.SetEscapeHTML(false)
		_ = encoder.Encode(value)
		out.Write(bytes.TrimRight(encoded.Bytes(), "\n"))
	}
	var legacy, funding *string
	if r.LegacyBrand != nil {
		legacy = String(string(*r.LegacyBrand))
	}
	if r.Funding != nil {
		funding = String(r.Funding.String())
	}
	var networks []string
	for _, network := range r.Networks {
		networks = append(networks, string(network))
	}
	var brand, presence, csc, avs *string
	if r.CSCResult != nil {
		csc = String(string(*r.CSCResult))
	}
	if r.AVSResult != nil {
		avs = String(string(*r.AVSResult))
	}
	if r.Brand != nil {
		brand = String(string(*r.Brand))
	}
	if r.CSCPresence != nil {
		presence = String(r.CSCPresence.String())
	}
	reasons := r.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	key("masked_pan", r.MaskedPAN)
	key("luhn_valid", r.LuhnValid)
	key("brand", brand)
	key("legacy_brand", legacy)
	key("length_valid", r.LengthValid)
	key("issuer_country", r.IssuerCountry)
	key("funding", funding)
	key("product", r.Product)
	key("issuer", r.Issuer)
	key("networks", networks)
	key("expiry_valid", r.ExpiryValid())
	key("csc_presence", presence)
	key("csc_format_valid", r.CSCFormatValid)
	key("csc_result", csc)
	key("avs_result", avs)
	key("avs_street_match", r.AVSStreetMatch)
	key("avs_postal_match", r.AVSPostalMatch)
	var threeDS *string
	if r.ThreeDSResult != nil {
		threeDS = String(r.ThreeDSResult.String())
	}
	key("three_ds_result", threeDS)
	key("liability_shift", r.LiabilityShift)
	key("authentication_value_result", r.AuthenticationValueResult)
	key("action", r.Action.String())
	key("reasons", reasons)
	out.WriteByte('}')
	return out.Bytes(), nil
}

// Hello is the server's HELLO answer.
type Hello struct {
	ServerName, ServerVersion string
	ProtocolVersion           uint8
	MaxFrame, MaxInFlight     uint32
}

// Interpretation is the meaning of AVS and CSC result letters (INTERPRET); nil where not asked.
type Interpretation struct {
	AVSMeaning *string
	AVSStreet  *AVSFlag
	AVSPostal  *AVSFlag
	AVSAction  *Action
	AVSAdvice  *string
	CSCMeaning *string
	CSCAction  *Action
	CSCAdvice  *string
	Action     Action
}

// Stats are the daemon's counters (STATS); nil where the server sent none.
type Stats struct {
	UptimeSeconds, OpenConnections, ConnectionsAccepted, ConnectionsRefused *uint64
	Requests, ValidateRequests, Errors, WorkerQueues                        *uint64
}

// GeneratedCode is a code made with the issuer's key (CSC_GENERATE). Its String hides the code.
type GeneratedCode struct {
	Code, Key, KCV string
}

func (g GeneratedCode) String() string { return "GeneratedCode{Key:" + g.Key + " KCV:" + g.KCV + "}" }

// GoString keeps %#v from printing the code.
func (g GeneratedCode) GoString() string { return g.String() }

// GeneratedAuthenticationValue is a 3-D Secure authentication value made with the issuer's key
// (CAVV_GENERATE): base64 of its 20 bytes. Its String hides the value.
type GeneratedAuthenticationValue struct {
	AuthenticationValue, Key, KCV string
}

func (g GeneratedAuthenticationValue) String() string {
	return "GeneratedAuthenticationValue{Key:" + g.Key + " KCV:" + g.KCV + "}"
}

// GoString keeps %#v from printing the value.
func (g GeneratedAuthenticationValue) GoString() string { return g.String() }

// Bytes are the value's 20 bytes.
func (g GeneratedAuthenticationValue) Bytes() []byte {
	decoded, _ := base64.StdEncoding.DecodeString(g.AuthenticationValue)
	return decoded
}

// Verification is M (match), N (no match) or U (no key covers the card); with M, the key that matched.
type Verification struct {
	Result   CSCResult
	Key, KCV string
}

// ErrorKind is an error kind of Protocol/PROTOCOL.md.
type ErrorKind uint8

const (
	KindMalformed ErrorKind = 1 + iota
	KindFrameTooLarge
	KindUnsupportedVersion
	KindUnknownOperation
	KindMissingField
	KindInvalidField
	KindOverloaded
	KindNotPermitted
	KindInternal
	// KindRateLimited: the peer is over its rate; ServerError.RetryAfter says when to send again.
	KindRateLimited
)

func (k ErrorKind) String() string {
	names := [...]string{"malformed", "frame_too_large", "unsupported_version", "unknown_operation",
		"missing_field", "invalid_field", "overloaded", "not_permitted", "internal", "rate_limited"}
	if k >= 1 && int(k) <= len(names) {
		return names[k-1]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// ServerError is cardcheckd's error answer. Its message never holds a PAN digit or a code.
type ServerError struct {
	Kind      ErrorKind
	Code      string
	Field     string // empty when the error is about no one field
	Message   string
	RequestID uint32
	// RetryAfter: with KindRateLimited, how long to wait before sending again.
	RetryAfter time.Duration
}

func (e *ServerError) Error() string {
	text := "cardcheckd: " + e.Kind.String() + ": " + e.Code
	if e.Field != "" {
		text += " (" + e.Field + ")"
	}
	if e.Message != "" {
		text += ": " + e.Message
	}
	return text
}

// ClosesConnection says whether the server closes the connection after this error.
func (e *ServerError) ClosesConnection() bool {
	return e.RequestID == 0 || e.Kind == KindFrameTooLarge || e.Kind == KindOverloaded ||
		e.Code == "malformed_stream" || e.Code == "not_permitted"
}

// ProtocolError is a response this client cannot read; the connection is closed, the next call opens one.
type ProtocolError struct{ Reason string }

func (e *ProtocolError) Error() string { return "cardcheck: protocol error: " + e.Reason }

// ConnectionError says cardcheckd could not be reached, or the connection kept breaking.
type ConnectionError struct {
	Path   string
	Reason string
}

func (e *ConnectionError) Error() string { return "cardcheck: " + e.Path + ": " + e.Reason }

// TimeoutError is no answer within the call's deadline. The connection stays usable.
type TimeoutError struct{}

func (TimeoutError) Error() string   { return "cardcheck: no answer from cardcheckd in time" }
func (TimeoutError) Timeout() bool   { return true }
func (TimeoutError) Temporary() bool { return true }
