package dev.cardcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class WireTest {
    @Test
    void framesSplitAnywhere() {
        byte[] one = Wire.frame(0x82, 7, 0, new Wire.Body().text(1, "hi").bytes());
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (int i = 0; i < 3; i++) stream.writeBytes(one);
        Wire.FrameReader reader = new Wire.FrameReader(1 << 20);
        List<Wire.Frame> frames = new ArrayList<>();
        for (byte b : stream.toByteArray()) frames.addAll(reader.feed(new byte[] {b}, 1));
        assertEquals(3, frames.size());
        assertEquals(7, frames.get(2).requestId());
        assertEquals("hi", new String(frames.get(0).fieldValues().get(0), StandardCharsets.UTF_8));
    }

    @Test
    void badStreamsAreProtocolErrors() {
        for (byte[] data : List.of(new byte[] {0, 0, 0, 3, 'a', 'b', 'c'},
                "HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
                new byte[] {0, 0, 0, 8, 0x41, (byte) 0x82, 0, 0, 0, 0, 0, 1},
                Wire.frame(0x83, 1, 0, new byte[] {1, 0, 9, 'a'}))) {
            assertThrows(ProtocolException.class, () -> new Wire.FrameReader(1 << 20).feed(data, data.length));
        }
    }

    @Test
    void badValuesAreProtocolErrors() {
        byte[] badBool = Wire.frame(0x83, 1, 0, new Wire.Body().field(2, new byte[] {5}).field(0x0C, new byte[] {0})
                .field(0x0D, new byte[8]).bytes());
        Wire.Frame frame = new Wire.FrameReader(1 << 20).feed(badBool, badBool.length).get(0);
        assertThrows(ProtocolException.class, () -> Wire.validateResult(frame));
    }

    @Test
    void newerReasonBitsAndCardData() {
        byte[] mask = {(byte) 0x80, 0, 0x04, 0, 0, 0, 0, 0x20};  // bits 63, 42 and 5
        byte[] bytes = Wire.frame(0x83, 1, 0, new Wire.Body().field(0x0C, new byte[] {1}).field(0x0D, mask)
                .field(0x10, new byte[] {3}).text(0x13, "elo;eftpos").bytes());
        ValidateResult result = Wire.validateResult(new Wire.FrameReader(1 << 20).feed(bytes, bytes.length).get(0));
        assertEquals(List.of("expired", "funding_prepaid", "reason_63"), result.reasons());
        assertEquals(Funding.PREPAID, result.funding());
        assertEquals(List.of("elo", "eftpos"), result.networks());
        byte[] bad = Wire.frame(0x83, 1, 0, new Wire.Body().field(0x0C, new byte[] {1}).field(0x0D, new byte[8])
                .field(0x10, new byte[] {9}).bytes());
        assertThrows(ProtocolException.class,
                () -> Wire.validateResult(new Wire.FrameReader(1 << 20).feed(bad, bad.length).get(0)));
    }

    @Test
    void requestStringsHideThePanAndCode() {
        String shown = ValidateRequest.builder().pan("4111 1111 1111 1111").csc("987").build().toString();
        assertFalse(shown.contains("1111 1111") || shown.contains("987"), shown);
        assertFalse(new Results.GeneratedCode("213", "k", "08D7B4").toString().contains("213"));
    }
}
