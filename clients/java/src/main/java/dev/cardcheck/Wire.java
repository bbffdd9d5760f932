package dev.cardcheck;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** The binary protocol of Protocol/PROTOCOL.md: frames, fields and the operations' codecs. No sockets. */
final class Wire {
    private Wire() {}

    static final int VERSION = 0xC1;
    static final int HELLO = 1, PING = 2, VALIDATE = 3, INTERPRET = 4, STATS = 5, CSC_GENERATE = 6, CSC_VERIFY = 7,
            CAVV_GENERATE = 8, CAVV_VERIFY = 9;
    static final int ERROR = 0xFF;

    /** Bit n of the reason mask is REASONS.get(n) (Protocol/JSONLINES.md's order). */
    static final List<String> REASONS;

    static {
        List<String> names = new ArrayList<>(List.of("luhn_failed", "unionpay_luhn_failed", "brand_unknown",
                "length_invalid", "expiry_malformed", "expired", "expiry_too_far", "csc_not_provided"));
        for (char letter : "DIMNPSUX".toCharArray()) names.add("csc_" + letter);
        for (char letter = 'A'; letter <= 'Z'; letter++) names.add("avs_" + letter);
        names.addAll(List.of("funding_prepaid", "funding_debit", "funding_credit", "country_mismatch",
                "luhn_optional_failed", "three_ds_not_authenticated", "three_ds_rejected", "three_ds_unavailable",
                "three_ds_pending", "three_ds_eci_mismatch", "three_ds_value_missing", "three_ds_value_invalid",
                "three_ds_value_mismatch", "velocity_card", "velocity_bin"));
        REASONS = List.copyOf(names);
    }

    /** The name of reason bit n; a bit newer than this client is shown by its number. */
    static String reasonName(int bit) {
        return bit < REASONS.size() ? REASONS.get(bit) : "reason_" + bit;
    }

    record Frame(int version, int opcode, int flags, long requestId, List<byte[]> fieldValues, List<Integer> tags) {}

    /** Fields in order, written into a frame body. */
    static final class Body {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Body field(int tag, byte[] value) {
            if (value.length > 0xFFFF) throw new IllegalArgumentException("a field value is at most 65,535 bytes");
            out.write(tag);
            out.write(value.length >> 8);
            out.write(value.length);
            out.writeBytes(value);
            return this;
        }

        Body text(int tag, String value) {
            return value == null ? this : field(tag, value.getBytes(StandardCharsets.UTF_8));
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    static byte[] frame(int opcode, long requestId, int flags, byte[] body) {
        ByteBuffer out = ByteBuffer.allocate(12 + body.length);
        out.putInt(8 + body.length).put((byte) VERSION).put((byte) opcode).putShort((short) flags)
                .putInt((int) requestId).put(body);
        return out.array();
    }

    static byte[] validate(long requestId, ValidateRequest r) {
        Body body = new Body().text(0x01, r.pan).text(0x02, r.expiry).text(0x03, r.csc);
        if (r.cscIndicator != null) body.field(0x04, new byte[] {(byte) (int) r.cscIndicator});
        body.text(0x10, r.street).text(0x11, r.postalCode).text(0x12, r.country).text(0x20, r.onFileStreet)
                .text(0x21, r.onFilePostalCode).text(0x22, r.onFileCountry).text(0x30, r.threeDSStatus)
                .text(0x31, r.eci).text(0x32, r.authenticationValue).text(0x33, r.threeDSVersion)
                .text(0x34, r.threeDSStatusReason).text(0x40, r.profile);
        int flags = (r.strictStreet ? 0x0001 : 0) | (r.internationalAvs ? 0x0002 : 0);
        return frame(VALIDATE, requestId, flags, body.bytes());
    }

    static byte[] hello(long requestId, String clientName) {
        return frame(HELLO, requestId, 0, new Body().text(1, clientName).field(2, new byte[] {1}).bytes());
    }

    static byte[] ping(long requestId, byte[] payload) {
        if (payload.length > 256) throw new IllegalArgumentException("a PING payload is at most 256 bytes");
        return frame(PING, requestId, 0, payload.length == 0 ? new byte[0] : new Body().field(1, payload).bytes());
    }

    static byte[] interpret(long requestId, String avs, String csc) {
        return frame(INTERPRET, requestId, 0, new Body().text(1, avs).text(2, csc).bytes());
    }

    static byte[] stats(long requestId, boolean prometheus) {
        return frame(STATS, requestId, prometheus ? 1 : 0, new byte[0]);
    }

    /** CAVV_GENERATE (an order) or CAVV_VERIFY (a PAN and a value): fields 0x01-0x09, each only when set. */
    static byte[] cavv(int opcode, long requestId, String pan, String authenticationValue, CavvOrder order) {
        Body body = new Body().text(1, pan).text(2, authenticationValue);
        if (order != null) {
            body.text(3, order.threeDsStatus()).text(4, order.keyIndicator()).text(5, order.transactionNumber())
                    .text(6, order.secondFactor()).text(7, order.merchantName()).text(8, order.acsId())
                    .text(9, order.authenticationMethod());
        }
        return frame(opcode, requestId, 0, body.bytes());
    }

    static byte[] securityCode(int opcode, long requestId, String pan, String expiry, String serviceCode, String csc) {
        return frame(opcode, requestId, 0,
                new Body().text(1, pan).text(2, expiry).text(3, serviceCode).text(4, csc).bytes());
    }

    /** Splits a byte stream into frames; a length under 8 or over the maximum, or no 0xC magic, is a
     * ProtocolException: the stream cannot be trusted any more. */
    static final class FrameReader {
        private byte[] buffer = new byte[0];
        private final int maximum;

        FrameReader(int maximum) {
            this.maximum = maximum;
        }

        List<Frame> feed(byte[] data, int count) {
            byte[] joined = new byte[buffer.length + count];
            System.arraycopy(buffer, 0, joined, 0, buffer.length);
            System.arraycopy(data, 0, joined, buffer.length, count);
            ByteBuffer in = ByteBuffer.wrap(joined);
            List<Frame> frames = new ArrayList<>();
            while (in.remaining() >= 4) {
                long length = Integer.toUnsignedLong(in.getInt(in.position()));
                if (length < 8 || length > maximum) throw new ProtocolException("a response frame of " + length + " bytes");
                if (in.remaining() < 4 + length) break;
                in.position(in.position() + 4);
                int version = in.get() & 0xFF, opcode = in.get() & 0xFF, flags = in.getShort() & 0xFFFF;
                long requestId = Integer.toUnsignedLong(in.getInt());
                if (version >> 4 != 0xC) throw new ProtocolException("a response without the protocol's magic");
                byte[] body = new byte[(int) length - 8];
                in.get(body);
                List<Integer> tags = new ArrayList<>();
                List<byte[]> values = new ArrayList<>();
                parseFields(body, tags, values);
                frames.add(new Frame(version, opcode, flags, requestId, values, tags));
            }
            buffer = new byte[in.remaining()];
            in.get(buffer);
            return frames;
        }
    }

    static void parseFields(byte[] body, List<Integer> tags, List<byte[]> values) {
        int offset = 0;
        while (offset < body.length) {
            if (offset + 3 > body.length) throw new ProtocolException("a response field header runs past its frame");
            int length = (body[offset + 1] & 0xFF) << 8 | body[offset + 2] & 0xFF;
            if (offset + 3 + length > body.length) throw new ProtocolException("a response field runs past its frame");
            tags.add(body[offset] & 0xFF);
            byte[] value = new byte[length];
            System.arraycopy(body, offset + 3, value, 0, length);
            values.add(value);
            offset += 3 + length;
        }
    }

    /** A response's fields by tag: a tag twice, a wrong size or text that is not UTF-8 is a ProtocolException. */
    static final class Fields {
        private final Map<Integer, byte[]> values = new HashMap<>();

        Fields(Frame frame) {
            for (int i = 0; i < frame.tags().size(); i++) {
                if (values.put(frame.tags().get(i), frame.fieldValues().get(i)) != null) {
                    throw new ProtocolException("response field " + frame.tags().get(i) + " appears twice");
                }
            }
        }

        boolean has(int tag) {
            return values.containsKey(tag);
        }

        String text(int tag, String name) {
            byte[] value = values.get(tag);
            if (value == null) return null;
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(value)).toString();
            } catch (CharacterCodingException e) {
                throw new ProtocolException("response field " + name + " is not UTF-8");
            }
        }

        String letter(int tag, String name) {
            String text = text(tag, name);
            if (text != null && (text.length() != 1 || text.charAt(0) < 'A' || text.charAt(0) > 'Z')) {
                throw new ProtocolException("response field " + name + " is not one letter");
            }
            return text;
        }

        Long unsigned(int tag, int size, String name) {
            byte[] value = values.get(tag);
            if (value == null) return null;
            if (value.length != size) throw new ProtocolException("response field " + name + " has the wrong size");
            long number = 0;
            for (byte b : value) number = number << 8 | (b & 0xFF);
            return number;
        }

        Boolean bool(int tag, String name) {
            Long number = unsigned(tag, 1, name);
            if (number == null) return null;
            if (number > 1) throw new ProtocolException("response field " + name + " is not a boolean");
            return number == 1;
        }

        Action action(int tag, String name) {
            Long number = unsigned(tag, 1, name);
            return number == null ? null : Action.fromWire(number.intValue());
        }

        Integer small(int tag, String name) {
            Long number = unsigned(tag, 1, name);
            return number == null ? null : number.intValue();
        }

        OptionalLong counter(int tag, String name) {
            Long number = unsigned(tag, 8, name);
            return number == null ? OptionalLong.empty() : OptionalLong.of(number);
        }
    }

    static ServerErrorException error(Frame frame) {
        Fields f = new Fields(frame);
        Long kind = f.unsigned(1, 1, "kind");
        String code = f.text(2, "code");
        if (kind == null || code == null) throw new ProtocolException("an error response without its kind or code");
        String message = f.text(4, "message");
        Long retryAfter = f.unsigned(5, 4, "retry_after_ms");
        return new ServerErrorException(ErrorKind.fromWire(kind.intValue()), code, f.text(3, "field"),
                message == null ? "" : message, frame.requestId(), retryAfter == null ? -1 : retryAfter);
    }

    static ValidateResult validateResult(Frame frame) {
        Fields f = new Fields(frame);
        Action action = f.action(0x0C, "action");
        Long mask = f.unsigned(0x0D, 8, "reasons");
        if (action == null || mask == null) throw new ProtocolException("a VALIDATE response without its action or reasons");
        List<String> reasons = new ArrayList<>();
        for (int bit = 0; bit < 64; bit++) if ((mask >>> bit & 1) == 1) reasons.add(reasonName(bit));
        Integer expiry = f.small(0x05, "expiry"), presence = f.small(0x06, "csc_presence");
        Integer funding = f.small(0x10, "funding");
        String networks = f.text(0x13, "networks");
        Integer threeDSResult = f.small(0x14, "three_ds_result");
        Boolean liabilityShift = f.bool(0x15, "liability_shift");
        String valueResult = f.text(0x16, "authentication_value_result");
        if (valueResult != null && !List.of("M", "N", "U").contains(valueResult)) {
            throw new ProtocolException("response field authentication_value_result is not M, N or U");
        }
        ValidateResult.ThreeDS threeDS = threeDSResult == null ? null
                : new ValidateResult.ThreeDS(ThreeDSResult.fromWire(threeDSResult), Boolean.TRUE.equals(liabilityShift),
                        valueResult);
        ValidateResult.CardData card = new ValidateResult.CardData(f.text(0x0E, "legacy_brand"),
                f.text(0x0F, "issuer_country"), funding == null ? null : Funding.fromWire(funding),
                f.text(0x11, "product"), f.text(0x12, "issuer"),
                networks == null ? null : List.of(networks.split(";")));
        return new ValidateResult(f.text(0x01, "masked_pan"), f.bool(0x02, "luhn_valid"), f.text(0x03, "brand"),
                f.bool(0x04, "length_valid"), expiry == null ? null : ExpiryStatus.fromWire(expiry),
                presence == null ? null : CscPresence.fromWire(presence), f.bool(0x07, "csc_format_valid"),
                CscResult.fromLetter(f.letter(0x08, "csc_result")), AvsResult.fromLetter(f.letter(0x09, "avs_result")),
                f.bool(0x0A, "avs_street_match"),
                f.bool(0x0B, "avs_postal_match"), action, reasons, card, threeDS);
    }

    static Results.Hello helloResult(Frame frame) {
        Fields f = new Fields(frame);
        Long version = f.unsigned(3, 1, "protocol_version"), maxFrame = f.unsigned(4, 4, "max_frame"),
                inFlight = f.unsigned(5, 4, "max_in_flight");
        return new Results.Hello(f.text(1, "server_name"), f.text(2, "server_version"),
                version == null ? 0 : version.intValue(), maxFrame == null ? 0 : maxFrame, inFlight == null ? 0 : inFlight);
    }

    static byte[] pingResult(Frame frame) {
        int index = frame.tags().indexOf(1);
        new Fields(frame);
        return index < 0 ? new byte[0] : frame.fieldValues().get(index);
    }

    static Results.Interpretation interpretation(Frame frame) {
        Fields f = new Fields(frame);
        Action action = f.action(0x20, "action");
        if (action == null) throw new ProtocolException("an INTERPRET response without its action");
        return new Results.Interpretation(f.text(0x01, "avs_meaning"), f.small(0x02, "avs_street"),
                f.small(0x03, "avs_postal"), f.action(0x04, "avs_action"), f.text(0x05, "avs_advice"),
                f.text(0x10, "csc_meaning"), f.action(0x11, "csc_action"), f.text(0x12, "csc_advice"), action);
    }

    static Results.Stats statsResult(Frame frame) {
        Fields f = new Fields(frame);
        return new Results.Stats(f.counter(1, "uptime_seconds"), f.counter(2, "open_connections"),
                f.counter(3, "connections_accepted"), f.counter(4, "connections_refused"), f.counter(5, "requests"),
                f.counter(6, "validate_requests"), f.counter(7, "errors"), f.counter(8, "worker_queues"));
    }

    static String exposition(Frame frame) {
        String text = new Fields(frame).text(0x20, "exposition");
        return text == null ? "" : text;
    }

    static Results.GeneratedCode generated(Frame frame) {
        Fields f = new Fields(frame);
        String code = f.text(1, "code");
        if (code == null) throw new ProtocolException("a CSC_GENERATE response without its code");
        return new Results.GeneratedCode(code, f.text(2, "key"), f.text(3, "kcv"));
    }

    static Results.GeneratedAuthenticationValue generatedValue(Frame frame) {
        Fields f = new Fields(frame);
        String value = f.text(1, "authentication_value");
        if (value == null) throw new ProtocolException("a CAVV_GENERATE response without its value");
        byte[] decoded;
        try {
            decoded = java.util.Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            decoded = new byte[0];
        }
        if (decoded.length != 20) throw new ProtocolException("a CAVV_GENERATE response whose value is not the base64 of 20 bytes");
        return new Results.GeneratedAuthenticationValue(value, f.text(2, "key"), f.text(3, "kcv"));
    }

    static Results.Verification verification(Frame frame) {
        Fields f = new Fields(frame);
        String result = f.letter(4, "result");
        if (result == null || !List.of("M", "N", "U", "L").contains(result)) {
            throw new ProtocolException("a CSC_VERIFY or CAVV_VERIFY response without M, N, U or L");
        }
        return new Results.Verification(CscResult.valueOf(result), f.text(2, "key"), f.text(3, "kcv"));
    }
}
