package cardcheck

import (
	"errors"
	"fmt"
	"testing"
)

func TestFramesSplitAnywhere(t *testing.T) {
	one := encodeFrame(0x82, 7, 0, appendField(nil, 1, []byte("hi")))
	data := append(append(append([]byte{}, one...), one...), one...)
	reader := frameReader{maximum: 1 << 20}
	var frames []frame
	for _, b := range data {
		got, err := reader.feed([]byte{b})
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, got...)
	}
	if len(frames) != 3 || frames[2].requestID != 7 || string(frames[0].fields[0].value) != "hi" {
		t.Fatalf("frames: %+v", frames)
	}
}

func TestBadStreamsAreProtocolErrors(t *testing.T) {
	for _, data := range [][]byte{
		{0, 0, 0, 3, 'a', 'b', 'c'},
		[]byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
		{0, 0, 0, 8, 0x41, 0x82, 0, 0, 0, 0, 0, 1},
		encodeFrame(0x83, 1, 0, []byte{1, 0, 9, 'a'}),
	} {
		reader := frameReader{maximum: 1 << 20}
		_, err := reader.feed(data)
		var protocol *ProtocolError
		if !errors.As(err, &protocol) {
			t.Errorf("%q: %v", data, err)
		}
	}
}

func TestBadValuesAreProtocolErrors(t *testing.T) {
	badBool := frame{0xC1, 0x83, 0, 1, []field{{2, []byte{5}}, {0x0C, []byte{0}}, {0x0D, make([]byte, 8)}}}
	if _, err := decodeValidate(badBool); err == nil {
		t.Error("a boolean of 5 was accepted")
	}
	if _, err := decodeValidate(frame{0xC1, 0x83, 0, 1, []field{{0x0D, make([]byte, 8)}}}); err == nil {
		t.Error("a result without its action was accepted")
	}
}

func TestNewerReasonBitsAndCardData(t *testing.T) {
	mask := []byte{0x80, 0, 0x04, 0, 0, 0, 0, 0x20} // bits 63, 42 and 5
	f := frame{0xC1, 0x83, 0, 1, []field{{0x0C, []byte{1}}, {0x0D, mask}, {0x10, []byte{3}}, {0x13, []byte("elo;eftpos")}}}
	r, err := decodeValidate(f)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(r.Reasons) != "[expired funding_prepaid reason_63]" {
		t.Errorf("reasons %v", r.Reasons)
	}
	if r.Funding == nil || *r.Funding != Prepaid || fmt.Sprint(r.Networks) != "[elo eftpos]" {
		t.Errorf("card data %v %v", r.Funding, r.Networks)
	}
	bad := frame{0xC1, 0x83, 0, 1, []field{{0x0C, []byte{1}}, {0x0D, make([]byte, 8)}, {0x10, []byte{9}}}}
	if _, err := decodeValidate(bad); err == nil {
		t.Error("funding 9 was accepted")
	}
}
