package cardcheck

// The Go client against Protocol/vectors and a live cardcheckd, run by clients/test/run (which sets
// CARDCHECK_SOCKET, CARDCHECK_VECTORS, CARDCHECK_CARDS, CARDCHECK_EXPECTED and CARDCHECK_RESTART).

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

type wireField struct {
	Tag    uint8       `json:"tag"`
	Name   string      `json:"name"`
	Type   string      `json:"type"`
	Value  interface{} `json:"value"`
	Means  interface{} `json:"means"`
	Length *int        `json:"length"`
}

type wireMeaning struct {
	Version     uint8       `json:"version"`
	Opcode      uint8       `json:"opcode"`
	Flags       uint16      `json:"flags"`
	RequestID   uint32      `json:"request_id"`
	Fields      []wireField `json:"fields"`
	FrameLength *int        `json:"frame_length"`
}

type wireVector struct {
	Name             string      `json:"name"`
	Request          string      `json:"request"`
	RequestMeaning   wireMeaning `json:"request_meaning"`
	Response         string      `json:"response"`
	ResponseMeaning  wireMeaning `json:"response_meaning"`
	ResponseVaries   string      `json:"response_varies"`
	ClosesConnection bool        `json:"closes_connection"`
}

type conformance struct {
	t      *testing.T
	checks int
	failed int
}

func (c *conformance) check(ok bool, format string, args ...interface{}) {
	c.checks++
	if !ok {
		c.failed++
		c.t.Errorf(format, args...)
	}
}

func environment(t *testing.T, name string) string {
	value := os.Getenv(name)
	if value == "" {
		t.Skipf("%s is not set: run clients/test/run go", name)
	}
	return value
}

func readJSON(t *testing.T, path string, into interface{}) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, into); err != nil {
		t.Fatal(err)
	}
}

func values(m wireMeaning) map[string]interface{} {
	out := map[string]interface{}{}
	for _, f := range m.Fields {
		if f.Means != nil {
			out[f.Name] = f.Means
		} else {
			out[f.Name] = f.Value
		}
	}
	return out
}

// typedCall gives the client's encoding of a vector's request and the call that sends it, or nil for a
// vector the typed API cannot express (broken lengths, unknown tags, duplicates, another version).
func typedCall(m wireMeaning) (func(uint32) []byte, func(*Client) (interface{}, error)) {
	seen := map[string]bool{}
	for _, f := range m.Fields {
		if f.Length != nil || f.Name == "(unknown)" || seen[f.Name] || (f.Name == "csc_indicator" && f.Type != "u8") {
			return nil, nil
		}
		seen[f.Name] = true
	}
	if m.Version != protocolVersion || m.FrameLength != nil || m.Opcode < 1 || m.Opcode > 7 {
		return nil, nil
	}
	text := map[string]*string{}
	var indicator *int
	for _, f := range m.Fields {
		if s, ok := f.Value.(string); ok {
			text[f.Name] = String(s)
		} else if n, ok := f.Value.(float64); ok && f.Name == "csc_indicator" {
			indicator = Int(int(n))
		}
	}
	get := func(name string) string {
		if s := text[name]; s != nil {
			return *s
		}
		return ""
	}
	ctx := context.Background()
	switch m.Opcode {
	case opValidate:
		request := ValidateRequest{PAN: text["pan"], Expiry: text["expiry"], CSC: text["csc"], CSCIndicator: indicator,
			Street: text["street"], PostalCode: text["postal_code"], Country: text["country"],
			OnFileStreet: text["on_file_street"], OnFilePostalCode: text["on_file_postal_code"],
			OnFileCountry: text["on_file_country"], ThreeDSStatus: text["three_ds_status"], ECI: text["eci"],
			AuthenticationValue: text["authentication_value"], ThreeDSVersion: text["three_ds_version"],
			ThreeDSStatusReason: text["three_ds_status_reason"], Profile: text["profile"], StrictStreet: m.Flags&1 != 0,
			InternationalAVS: m.Flags&2 != 0}
		return func(id uint32) []byte { data, _ := encodeValidate(id, request); return data },
			func(c *Client) (interface{}, error) { return c.Validate(ctx, request) }
	case opHello:
		return func(id uint32) []byte { return encodeHello(id, get("client_name"), 1) },
			func(c *Client) (interface{}, error) { return c.Hello(ctx, get("client_name")) }
	case opPing:
		return func(id uint32) []byte { return encodePing(id, []byte(get("payload"))) },
			func(c *Client) (interface{}, error) { return c.Ping(ctx, []byte(get("payload"))) }
	case opInterpret:
		return func(id uint32) []byte { return encodeInterpret(id, get("avs"), get("csc")) },
			func(c *Client) (interface{}, error) { return c.Interpret(ctx, get("avs"), get("csc")) }
	case opStats:
		if m.Flags&1 != 0 {
			return func(id uint32) []byte { return encodeStats(id, true) },
				func(c *Client) (interface{}, error) { return c.Metrics(ctx) }
		}
		return func(id uint32) []byte { return encodeStats(id, false) },
			func(c *Client) (interface{}, error) { return c.Stats(ctx) }
	}
	if m.Opcode == opCAVVGenerate || m.Opcode == opCAVVVerify {
		r := AuthenticationValueRequest{PAN: get("pan"), AuthenticationValue: get("authentication_value"),
			ThreeDSStatus: get("three_ds_status"), KeyIndicator: get("key_indicator"),
			TransactionNumber: get("transaction_number"), SecondFactor: get("second_factor"),
			MerchantName: get("merchant_name"), ACSID: get("acs_id"), AuthenticationMethod: get("authentication_method")}
		if m.Opcode == opCAVVVerify {
			if text["pan"] == nil || text["authentication_value"] == nil {
				return nil, nil
			}
			return func(id uint32) []byte { return encodeAuthenticationValue(opCAVVVerify, id, r) },
				func(c *Client) (interface{}, error) { return c.VerifyCAVV(ctx, r.PAN, r.AuthenticationValue) }
		}
		if text["pan"] == nil || text["three_ds_status"] == nil {
			return nil, nil
		}
		return func(id uint32) []byte { return encodeAuthenticationValue(opCAVVGenerate, id, r) },
			func(c *Client) (interface{}, error) { return c.GenerateCAVV(ctx, r) }
	}
	if text["pan"] == nil || text["expiry"] == nil || (m.Opcode == opCSCVerify && text["csc"] == nil) {
		return nil, nil
	}
	card := SecurityCodeRequest{PAN: get("pan"), Expiry: get("expiry"), ServiceCode: get("service_code")}
	if m.Opcode == opCSCGenerate {
		return func(id uint32) []byte { return encodeSecurityCode(opCSCGenerate, id, card, nil) },
			func(c *Client) (interface{}, error) { return c.GenerateCSC(ctx, card) }
	}
	csc := get("csc")
	return func(id uint32) []byte { return encodeSecurityCode(opCSCVerify, id, card, &csc) },
		func(c *Client) (interface{}, error) { return c.VerifyCSC(ctx, card, csc) }
}

// expected is what a response meaning says, in the terms of actual below; nil for STATS (it varies).
func expected(m wireMeaning) interface{} {
	v := values(m)
	if m.Opcode == opError {
		return fmt.Sprintf("error %v %v %v %v", v["kind"], v["code"], orEmpty(v["field"]), orEmpty(v["message"]))
	}
	switch m.Opcode & 0x7F {
	case opValidate:
		object := map[string]interface{}{}
		for _, key := range []string{"masked_pan", "luhn_valid", "brand", "legacy_brand", "length_valid",
			"issuer_country", "funding", "product", "issuer", "csc_presence", "csc_format_valid", "csc_result",
			"avs_result", "avs_street_match", "avs_postal_match", "three_ds_result", "liability_shift",
			"authentication_value_result", "action",
			"reasons"} {
			object[key] = v[key]
		}
		object["networks"] = nil
		if networks, ok := v["networks"].(string); ok {
			object["networks"] = strings.Split(networks, ";")
		}
		object["expiry_valid"] = nil
		if expiry, ok := v["expiry"]; ok {
			object["expiry_valid"] = expiry == "valid"
		}
		encoded, _ := json.Marshal(object)
		return canonical(encoded)
	case opPing:
		return fmt.Sprint(orEmpty(v["payload"]))
	case opStats:
		return nil
	case opCSCGenerate:
		return fmt.Sprintf("%v %v %v", v["code"], v["key"], v["kcv"])
	case opCSCVerify, opCAVVVerify:
		return fmt.Sprintf("%v %v %v", v["result"], orEmpty(v["key"]), orEmpty(v["kcv"]))
	case opCAVVGenerate:
		return fmt.Sprintf("%v %v %v", v["authentication_value"], v["key"], v["kcv"])
	case opHello:
		return fmt.Sprintf("%v %v", v["server_name"], v["max_frame"])
	case opInterpret:
		return fmt.Sprintf("%v %v %v", orEmpty(v["avs_meaning"]), orEmpty(v["csc_meaning"]), v["action"])
	}
	return "?"
}

func orEmpty(v interface{}) interface{} {
	if v == nil {
		return ""
	}
	return v
}

// canonical re-encodes JSON with sorted keys, to compare objects whatever their key order.
func canonical(data []byte) string {
	var object interface{}
	_ = json.Unmarshal(data, &object)
	out, _ := json.Marshal(object)
	return string(out)
}

func actual(answer interface{}, err error) interface{} {
	if serverError, ok := err.(*ServerError); ok {
		return fmt.Sprintf("error %v %v %v %v", serverError.Kind, serverError.Code, serverError.Field, serverError.Message)
	}
	if err != nil {
		return "failure: " + err.Error()
	}
	switch a := answer.(type) {
	case *ValidateResult:
		encoded, _ := a.MarshalJSON()
		return canonical(encoded)
	case []byte:
		return string(a)
	case *GeneratedCode:
		return fmt.Sprintf("%v %v %v", a.Code, a.Key, a.KCV)
	case *Verification:
		return fmt.Sprintf("%v %v %v", a.Result, a.Key, a.KCV)
	case *GeneratedAuthenticationValue:
		return fmt.Sprintf("%v %v %v", a.AuthenticationValue, a.Key, a.KCV)
	case *Hello:
		return fmt.Sprintf("%v %v", a.ServerName, a.MaxFrame)
	case *Interpretation:
		deref := func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		}
		return fmt.Sprintf("%v %v %v", deref(a.AVSMeaning), deref(a.CSCMeaning), a.Action)
	}
	return nil
}

func decodeFor(requestOpcode uint8, data []byte) (interface{}, error) {
	reader := frameReader{maximum: 1 << 24}
	frames, err := reader.feed(data)
	if err != nil || len(frames) != 1 {
		return nil, fmt.Errorf("not one frame: %v", err)
	}
	f := frames[0]
	if f.opcode == opError {
		serverError, err := decodeError(f)
		if err != nil {
			return nil, err
		}
		return nil, serverError
	}
	switch requestOpcode {
	case opValidate:
		return decodeValidate(f)
	case opHello:
		return decodeHello(f)
	case opPing:
		return decodePing(f)
	case opInterpret:
		return decodeInterpret(f)
	case opCSCGenerate:
		return decodeGenerated(f)
	case opCSCVerify, opCAVVVerify:
		return decodeVerification(f)
	case opCAVVGenerate:
		return decodeGeneratedValue(f)
	case opStats:
		if len(f.fields) > 0 && f.fields[0].tag == 0x20 {
			return decodeExposition(f)
		}
		return decodeStats(f)
	}
	return nil, fmt.Errorf("no operation 0x%02x", requestOpcode)
}

func readFrame(r io.Reader) ([]byte, error) {
	head := make([]byte, 4)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	body := make([]byte, binary.BigEndian.Uint32(head))
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return append(head, body...), nil
}

func tagsOf(frameBytes []byte) []uint8 {
	fields, _ := parseFields(frameBytes[12:])
	var tags []uint8
	for _, f := range fields {
		tags = append(tags, f.tag)
	}
	return tags
}

func unhex(s string) []byte { b, _ := hex.DecodeString(s); return b }

var jsonOnlyErrors = map[string]bool{"invalid_json": true, "not_an_object": true, "unknown_key": true, "wrong_type": true}

func requestFromLine(text string) (ValidateRequest, error) {
	var keys map[string]interface{}
	if err := json.Unmarshal([]byte(text), &keys); err != nil {
		return ValidateRequest{}, err
	}
	str := func(name string) *string {
		if s, ok := keys[name].(string); ok {
			return String(s)
		}
		return nil
	}
	var indicator *int
	switch value := keys["csc_indicator"].(type) {
	case float64:
		indicator = Int(int(value))
	case string:
		var n int
		fmt.Sscan(value, &n)
		indicator = Int(n)
	}
	return ValidateRequest{PAN: str("pan"), Expiry: str("expiry"), CSC: str("csc"), CSCIndicator: indicator,
		Street: str("street"), PostalCode: str("postal_code"), Country: str("country"),
		OnFileStreet: str("on_file_street"), OnFilePostalCode: str("on_file_postal_code"),
		OnFileCountry: str("on_file_country"), ThreeDSStatus: str("three_ds_status"), ECI: str("eci"),
		AuthenticationValue: str("authentication_value"), ThreeDSVersion: str("three_ds_version"),
		ThreeDSStatusReason: str("three_ds_status_reason"), Profile: str("profile")}, nil
}

// answerLine is the JSON Lines line for a request line, through the client.
func answerLine(client *Client, text string) string {
	request, err := requestFromLine(text)
	if err != nil {
		return "bad line: " + err.Error()
	}
	result, err := client.Validate(context.Background(), request)
	if serverError, ok := err.(*ServerError); ok {
		var field interface{}
		if serverError.Field != "" {
			field = serverError.Field
		}
		// The JSON Lines error object, keys in its order.
		code, _ := json.Marshal(serverError.Code)
		fieldJSON, _ := json.Marshal(field)
		message, _ := json.Marshal(serverError.Message)
		return `{"error":{"code":` + string(code) + `,"field":` + string(fieldJSON) + `,"message":` + string(message) + `}}`
	}
	if err != nil {
		return "failure: " + err.Error()
	}
	line, _ := result.MarshalJSON()
	return string(line)
}

func readLines(t *testing.T, path string) []string {
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	var lines []string
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 1<<20)
	for scanner.Scan() {
		lines = append(lines, scanner.Text())
	}
	return lines
}

func TestConformance(t *testing.T) {
	socket := environment(t, "CARDCHECK_SOCKET")
	vectorsDirectory := environment(t, "CARDCHECK_VECTORS")
	c := &conformance{t: t}
	var wire struct{ Vectors []wireVector }
	readJSON(t, filepath.Join(vectorsDirectory, "wire.json"), &wire)
	var jsonl struct {
		Vectors []struct{ Name, Request, Response string }
	}
	readJSON(t, filepath.Join(vectorsDirectory, "validate-jsonl.json"), &jsonl)
	cards := readLines(t, environment(t, "CARDCHECK_CARDS"))
	expectedLines := readLines(t, environment(t, "CARDCHECK_EXPECTED"))
	ctx := context.Background()

	// Every vector, encoded and decoded by the client.
	for _, v := range wire.Vectors {
		encode, _ := typedCall(v.RequestMeaning)
		if encode != nil {
			c.check(hex.EncodeToString(encode(v.RequestMeaning.RequestID)) == v.Request, "encode: %s", v.Name)
		}
		if want := expected(v.ResponseMeaning); want != nil && v.RequestMeaning.Opcode >= 1 && v.RequestMeaning.Opcode <= 7 {
			got := actual(decodeFor(v.RequestMeaning.Opcode, unhex(v.Response)))
			c.check(reflect.DeepEqual(got, want), "decode: %s: %v != %v", v.Name, got, want)
		}
	}

	// Every vector's bytes to the daemon, pipelined on one connection; the closing one on its own.
	raw, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	var stream []byte
	open := 0
	for _, v := range wire.Vectors {
		if !v.ClosesConnection {
			stream = append(stream, unhex(v.Request)...)
			open++
		}
	}
	go raw.Write(stream)
	answers := map[uint32][]byte{}
	for i := 0; i < open; i++ {
		f, err := readFrame(raw)
		if err != nil {
			t.Fatal(err)
		}
		answers[binary.BigEndian.Uint32(f[8:12])] = f
	}
	raw.Close()
	for _, v := range wire.Vectors {
		if v.ClosesConnection {
			conn, err := net.Dial("unix", socket)
			if err != nil {
				t.Fatal(err)
			}
			conn.Write(unhex(v.Request))
			f, err := readFrame(conn)
			_, eof := conn.Read(make([]byte, 1))
			c.check(err == nil && hex.EncodeToString(f) == v.Response && eof == io.EOF, "live raw, then the close: %s", v.Name)
			conn.Close()
			continue
		}
		got := answers[v.RequestMeaning.RequestID]
		if v.ResponseVaries != "" {
			c.check(got != nil && reflect.DeepEqual(tagsOf(got), tagsOf(unhex(v.Response))), "live raw: %s", v.Name)
		} else {
			c.check(hex.EncodeToString(got) == v.Response, "live raw: %s", v.Name)
		}
	}

	client := New(socket, Options{})
	defer client.Close()
	// Every vector the typed API can send, through it.
	for _, v := range wire.Vectors {
		_, call := typedCall(v.RequestMeaning)
		if call == nil {
			continue
		}
		got := actual(call(client))
		if want := expected(v.ResponseMeaning); want != nil {
			c.check(reflect.DeepEqual(got, want), "live typed: %s: %v != %v", v.Name, got, want)
		} else {
			c.check(got == nil || !strings.HasPrefix(fmt.Sprint(got), "error"), "live typed: %s", v.Name)
		}
	}
	// The JSON Lines vectors a binary client can send.
	for _, v := range jsonl.Vectors {
		if strings.HasPrefix(v.Response, `{"error"`) {
			var e struct{ Error struct{ Code string } }
			json.Unmarshal([]byte(v.Response), &e)
			if jsonOnlyErrors[e.Error.Code] {
				continue
			}
		}
		c.check(answerLine(client, v.Request) == v.Response, "JSON Lines vector: %s: %s", v.Name, answerLine(client, v.Request))
	}

	// The generated cards from 8 goroutines on one connection, against validate --local --keys.
	before, _ := client.Stats(ctx)
	got := make([]string, len(cards))
	var wait sync.WaitGroup
	for worker := 0; worker < 8; worker++ {
		wait.Add(1)
		go func(worker int) {
			defer wait.Done()
			for i := worker; i < len(cards); i += 8 {
				got[i] = answerLine(client, cards[i])
			}
		}(worker)
	}
	wait.Wait()
	after, _ := client.Stats(ctx)
	wrong := 0
	for i := range cards {
		if i >= len(expectedLines) || got[i] != expectedLines[i] {
			if wrong == 0 {
				t.Logf("card %d: %s\n  got      %s\n  expected %s", i, cards[i], got[i], expectedLines[i])
			}
			wrong++
		}
	}
	c.check(wrong == 0 && len(cards) == len(expectedLines), "%d of %d generated cards differ", wrong, len(cards))
	c.check(before != nil && after != nil && *before.ConnectionsAccepted == *after.ConnectionsAccepted,
		"8 goroutines shared one connection")

	// A restart in the middle: every call answered right; the client reconnected.
	restartClient := New(socket, Options{Timeout: 10 * time.Second})
	defer restartClient.Close()
	var mu sync.Mutex
	results, failures := 0, []string{}
	stop := make(chan struct{})
	for worker := 0; worker < 4; worker++ {
		wait.Add(1)
		go func(worker int) {
			defer wait.Done()
			for i := worker; ; i += 4 {
				select {
				case <-stop:
					return
				default:
				}
				line := answerLine(restartClient, cards[i%len(cards)])
				mu.Lock()
				if line == expectedLines[i%len(cards)] {
					results++
				} else {
					failures = append(failures, line)
				}
				mu.Unlock()
			}
		}(worker)
	}
	time.Sleep(300 * time.Millisecond)
	if out, err := exec.Command("sh", "-c", os.Getenv("CARDCHECK_RESTART")).CombinedOutput(); err != nil {
		t.Fatalf("restart: %v %s", err, out)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wait.Wait()
	c.check(len(failures) == 0 && results > 0, "restart: %d wrong or failed of %d: %v", len(failures), results+len(failures), failures[:min(2, len(failures))])
	c.check(restartClient.Reconnects() >= 1, "restart: the client reconnected")

	errorKinds(c, socket)
	fmt.Printf("go: %d checks (%d wire vectors, %d JSON Lines vectors, %d generated cards), %d failed\n",
		c.checks, len(wire.Vectors), len(jsonl.Vectors), len(cards), c.failed)
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

// fakeServer answers every connection with behave.
func fakeServer(t *testing.T, behave func(net.Conn)) (string, func() int) {
	path := filepath.Join(t.TempDir(), "fake.sock")
	listener, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	count := 0
	go func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			count++
			mu.Unlock()
			go behave(conn)
		}
	}()
	t.Cleanup(func() { listener.Close() })
	return path, func() int { mu.Lock(); defer mu.Unlock(); return count }
}

func errorKinds(c *conformance, socket string) {
	ctx := context.Background()
	client := New(socket, Options{})
	defer client.Close()
	secretPAN, secretCode := "4111111111111111", "987"
	for _, each := range []struct {
		request ValidateRequest
		kind    ErrorKind
		code    string
	}{
		{ValidateRequest{PAN: String("4111x")}, KindInvalidField, "pan_invalid_character"},
		{ValidateRequest{}, KindMissingField, "nothing_to_check"},
		{ValidateRequest{PAN: String(secretPAN), CSC: String(secretCode), CSCIndicator: Int(9)}, KindInvalidField, "csc_contradiction"},
	} {
		_, err := client.Validate(ctx, each.request)
		serverError, ok := err.(*ServerError)
		c.check(ok && serverError.Kind == each.kind && serverError.Code == each.code, "%s: %v", each.code, err)
		c.check(err != nil && !strings.Contains(err.Error(), secretPAN) && !strings.Contains(err.Error(), secretCode),
			"%s: no secret in the error", each.code)
	}
	echo, err := client.Ping(ctx, []byte("still here"))
	c.check(err == nil && string(echo) == "still here", "the connection survives request errors")
	request := ValidateRequest{PAN: String(secretPAN), CSC: String(secretCode)}
	for _, shown := range []string{fmt.Sprint(request), fmt.Sprintf("%+v", request), fmt.Sprintf("%#v", request)} {
		c.check(!strings.Contains(shown, secretPAN) && !strings.Contains(shown, secretCode), "a request's string hides the PAN and code: %s", shown)
	}
	generated, err := client.GenerateCSC(ctx, SecurityCodeRequest{PAN: "4114585553881637", Expiry: "12/28"})
	c.check(err == nil && !strings.Contains(fmt.Sprint(generated)+fmt.Sprintf("%#v", *generated), generated.Code), "a generated code's string hides it")
	value, err := client.GenerateCAVV(ctx, AuthenticationValueRequest{PAN: "4123456789012349", ThreeDSStatus: "Y"})
	c.check(err == nil && len(value.Bytes()) == 20 &&
		!strings.Contains(fmt.Sprint(value)+fmt.Sprintf("%#v", *value), value.AuthenticationValue),
		"a generated authentication value's string hides it (%v)", err)
	if err == nil {
		verified, err := client.VerifyCAVV(ctx, "4123456789012349", value.AuthenticationValue)
		c.check(err == nil && verified.Result == "M" && verified.Key == "vector-cavv", "a random-ATN CAVV verifies (%v)", err)
	}

	silent, _ := fakeServer(c.t, func(conn net.Conn) { io.Copy(io.Discard, conn) })
	started := time.Now()
	_, err = New(silent, Options{Timeout: 300 * time.Millisecond}).Ping(ctx, nil)
	_, isTimeout := err.(TimeoutError)
	c.check(isTimeout && time.Since(started) < 2*time.Second, "a silent server: TimeoutError (%v)", err)

	liar, connections := fakeServer(c.t, func(conn net.Conn) {
		buffer := make([]byte, 65536)
		for {
			if _, err := conn.Read(buffer); err != nil {
				return
			}
			conn.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
		}
	})
	liarClient := New(liar, Options{Timeout: 2 * time.Second})
	for attempt := 0; attempt < 2; attempt++ {
		_, err = liarClient.Ping(ctx, nil)
		_, isProtocol := err.(*ProtocolError)
		c.check(isProtocol, "garbage: ProtocolError (%v)", err)
	}
	c.check(connections() == 2, "garbage: the broken connection was closed and a new one opened")
	liarClient.Close()

	wrongOpcode, _ := fakeServer(c.t, func(conn net.Conn) {
		f, err := readFrame(conn)
		if err == nil {
			conn.Write(encodeFrame(0x83, binary.BigEndian.Uint32(f[8:12]), 0, nil))
		}
	})
	_, err = New(wrongOpcode, Options{Timeout: 2 * time.Second}).Ping(ctx, nil)
	_, isProtocol := err.(*ProtocolError)
	c.check(isProtocol, "wrong opcode: ProtocolError (%v)", err)

	refusing, _ := fakeServer(c.t, func(conn net.Conn) {
		body := appendField(appendField(appendField(nil, 1, []byte{8}), 2, []byte("not_permitted")), 4, []byte("peer not allowed"))
		conn.Write(encodeFrame(opError, 0, 0, body))
		conn.Close()
	})
	_, err = New(refusing, Options{Timeout: 2 * time.Second}).Validate(ctx, ValidateRequest{PAN: String(secretPAN)})
	refusal, ok := err.(*ServerError)
	c.check(ok && refusal.Kind == KindNotPermitted && refusal.ClosesConnection(), "refusal: %v", err)
	// The refusal and the close read before the first write (the order a busy client sees): the request
	// gets the refusal, not a resend that the next connection refuses too.
	refused := New(refusing, Options{Timeout: 2 * time.Second})
	conn, err := refused.connect(ctx)
	for waited := 0; err == nil && !conn.isClosed() && waited < 200; waited++ {
		time.Sleep(10 * time.Millisecond)
	}
	if err == nil {
		_, err = conn.submit(1, opPing, encodePing(1, nil))
	}
	refusal, ok = err.(*ServerError)
	c.check(ok && refusal.Kind == KindNotPermitted, "refusal read before the write: %v", err)
	refused.Close()

	started = time.Now()
	_, err = New("/nonexistent/cardcheck.sock", Options{Timeout: 500 * time.Millisecond}).Ping(ctx, nil)
	_, isConnection := err.(*ConnectionError)
	c.check(isConnection && time.Since(started) < 2*time.Second, "no daemon: ConnectionError (%v)", err)
}
