package dev.cardcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;

/** The Java client against Protocol/vectors and a live cardcheckd, run by clients/test/run (which sets
 * CARDCHECK_SOCKET, CARDCHECK_VECTORS, CARDCHECK_CARDS, CARDCHECK_EXPECTED and CARDCHECK_RESTART). */
class ConformanceTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final Set<String> JSON_ONLY_ERRORS = Set.of("invalid_json", "not_an_object", "unknown_key", "wrong_type");
    private final List<String> failures = new ArrayList<>();
    private int checks;

    private void check(boolean ok, String what) {
        checks++;
        if (!ok) {
            failures.add(what);
            System.err.println("FAIL " + what);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value) {
        return (Map<String, Object>) value;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object value) {
        return (List<Object>) value;
    }

    private static Map<String, Object> values(Map<String, Object> meaning) {
        Map<String, Object> out = new HashMap<>();
        for (Object f : list(meaning.get("fields"))) {
            Map<String, Object> field = object(f);
            out.put((String) field.get("name"), field.containsKey("means") ? field.get("means") : field.get("value"));
        }
        return out;
    }

    private record Typed(LongFunction<byte[]> encode, Function<CardCheckClient, Object> call) {}

    /** The client's encoding of a vector's request and the call that sends it, or null when the typed API
     * cannot express it (broken lengths, unknown tags, duplicates, another version). */
    private static Typed typed(Map<String, Object> meaning) {
        List<String> names = new ArrayList<>();
        for (Object f : list(meaning.get("fields"))) {
            Map<String, Object> field = object(f);
            String name = (String) field.get("name");
            if (field.containsKey("length") || name.equals("(unknown)") || names.contains(name)
                    || (name.equals("csc_indicator") && !field.get("type").equals("u8"))) return null;
            names.add(name);
        }
        long opcode = (Long) meaning.get("opcode"), flags = (Long) meaning.get("flags");
        if ((Long) meaning.get("version") != Wire.VERSION || meaning.containsKey("frame_length") || opcode < 1 || opcode > 7) {
            return null;
        }
        Map<String, Object> v = values(meaning);
        Function<String, String> text = name -> (String) v.get(name);
        switch ((int) opcode) {
            case Wire.VALIDATE -> {
                ValidateRequest request = ValidateRequest.builder().pan(text.apply("pan")).expiry(text.apply("expiry"))
                        .csc(text.apply("csc"))
                        .cscIndicator(v.get("csc_indicator") == null ? null : ((Long) v.get("csc_indicator")).intValue())
                        .street(text.apply("street")).postalCode(text.apply("postal_code")).country(text.apply("country"))
                        .onFileStreet(text.apply("on_file_street")).onFilePostalCode(text.apply("on_file_postal_code"))
                        .onFileCountry(text.apply("on_file_country")).threeDSStatus(text.apply("three_ds_status"))
                        .eci(text.apply("eci")).authenticationValue(text.apply("authentication_value"))
                        .threeDSVersion(text.apply("three_ds_version"))
                        .threeDSStatusReason(text.apply("three_ds_status_reason")).profile(text.apply("profile"))
                        .strictStreet((flags & 1) != 0)
                        .internationalAvs((flags & 2) != 0).build();
                return new Typed(id -> Wire.validate(id, request), c -> c.validate(request));
            }
            case Wire.HELLO -> {
                String name = text.apply("client_name");
                return new Typed(id -> Wire.hello(id, name), c -> c.hello(name));
            }
            case Wire.PING -> {
                byte[] payload = text.apply("payload") == null ? new byte[0] : text.apply("payload").getBytes(StandardCharsets.UTF_8);
                return new Typed(id -> Wire.ping(id, payload), c -> c.ping(payload));
            }
            case Wire.INTERPRET -> {
                return new Typed(id -> Wire.interpret(id, text.apply("avs"), text.apply("csc")),
                        c -> c.interpret(text.apply("avs"), text.apply("csc")));
            }
            case Wire.STATS -> {
                boolean prometheus = (flags & 1) != 0;
                return new Typed(id -> Wire.stats(id, prometheus), c -> prometheus ? c.metrics() : c.stats());
            }
            default -> { }
        }
        if (opcode == Wire.CAVV_GENERATE || opcode == Wire.CAVV_VERIFY) {
            String pan = text.apply("pan"), value = text.apply("authentication_value"), status = text.apply("three_ds_status");
            if (opcode == Wire.CAVV_VERIFY) {
                if (pan == null || value == null) return null;
                return new Typed(id -> Wire.cavv(Wire.CAVV_VERIFY, id, pan, value, null), c -> c.verifyCavv(pan, value));
            }
            if (pan == null || status == null) return null;
            CavvOrder order = new CavvOrder(pan, status, text.apply("key_indicator"), text.apply("transaction_number"),
                    text.apply("second_factor"), text.apply("merchant_name"), text.apply("acs_id"),
                    text.apply("authentication_method"));
            return new Typed(id -> Wire.cavv(Wire.CAVV_GENERATE, id, pan, null, order), c -> c.generateCavv(order));
        }
        String pan = text.apply("pan"), expiry = text.apply("expiry"), service = text.apply("service_code"), csc = text.apply("csc");
        if (pan == null || expiry == null || (opcode == Wire.CSC_VERIFY && csc == null)) return null;
        if (opcode == Wire.CSC_GENERATE) {
            return new Typed(id -> Wire.securityCode(Wire.CSC_GENERATE, id, pan, expiry, service, null),
                    c -> c.generateCsc(pan, expiry, service));
        }
        return new Typed(id -> Wire.securityCode(Wire.CSC_VERIFY, id, pan, expiry, service, csc),
                c -> c.verifyCsc(pan, expiry, csc, service));
    }

    private static String orEmpty(Object value) {
        return value == null ? "" : value.toString();
    }

    /** What a response meaning says, in the terms of {@link #actual}; null for STATS (its values vary). */
    private static String expected(Map<String, Object> meaning) {
        Map<String, Object> v = values(meaning);
        long opcode = (Long) meaning.get("opcode");
        if (opcode == Wire.ERROR) {
            return "error " + v.get("kind") + " " + v.get("code") + " " + orEmpty(v.get("field")) + " " + orEmpty(v.get("message"));
        }
        switch ((int) opcode & 0x7F) {
            case Wire.VALIDATE -> {
                Map<String, Object> result = new LinkedHashMap<>();
                for (String key : List.of("masked_pan", "luhn_valid", "brand", "legacy_brand", "length_valid", "issuer_country",
                        "funding", "product", "issuer", "networks", "expiry_valid", "csc_presence", "csc_format_valid",
                        "csc_result", "avs_result", "avs_street_match", "avs_postal_match", "three_ds_result", "liability_shift",
                        "authentication_value_result", "action", "reasons")) {
                    result.put(key, v.get(key));
                }
                if (v.get("networks") != null) result.put("networks", List.of(((String) v.get("networks")).split(";")));
                result.put("expiry_valid", v.containsKey("expiry") ? (Object) "valid".equals(v.get("expiry")) : null);
                return Json.write(result);
            }
            case Wire.PING -> { return orEmpty(v.get("payload")); }
            case Wire.STATS -> { return null; }
            case Wire.CSC_GENERATE -> { return v.get("code") + " " + v.get("key") + " " + v.get("kcv"); }
            case Wire.CAVV_GENERATE -> { return v.get("authentication_value") + " " + v.get("key") + " " + v.get("kcv"); }
            case Wire.CSC_VERIFY, Wire.CAVV_VERIFY -> { return v.get("result") + " " + orEmpty(v.get("key")) + " " + orEmpty(v.get("kcv")); }
            case Wire.HELLO -> { return v.get("server_name") + " " + v.get("max_frame"); }
            case Wire.INTERPRET -> { return orEmpty(v.get("avs_meaning")) + " " + orEmpty(v.get("csc_meaning")) + " " + v.get("action"); }
            default -> { return "?"; }
        }
    }

    private static String actual(Object answer) {
        if (answer instanceof ServerErrorException e) {
            return "error " + e.kind().wireName() + " " + e.code() + " " + orEmpty(e.field()) + " " + e.serverMessage();
        }
        if (answer instanceof ValidateResult r) return r.toJsonLine();
        if (answer instanceof byte[] payload) return new String(payload, StandardCharsets.UTF_8);
        if (answer instanceof Results.GeneratedCode g) return g.code() + " " + g.key() + " " + g.kcv();
        if (answer instanceof Results.GeneratedAuthenticationValue g) return g.authenticationValue() + " " + g.key() + " " + g.kcv();
        if (answer instanceof Results.Verification r) return r.result() + " " + orEmpty(r.key()) + " " + orEmpty(r.kcv());
        if (answer instanceof Results.Hello h) return h.serverName() + " " + h.maxFrame();
        if (answer instanceof Results.Interpretation i) {
            return orEmpty(i.avsMeaning()) + " " + orEmpty(i.cscMeaning()) + " " + i.action().jsonName();
        }
        return String.valueOf(answer);
    }

    private static Object decodeFor(long requestOpcode, byte[] data) {
        Wire.Frame frame = new Wire.FrameReader(1 << 24).feed(data, data.length).get(0);
        if (frame.opcode() == Wire.ERROR) return Wire.error(frame);
        return switch ((int) requestOpcode) {
            case Wire.VALIDATE -> Wire.validateResult(frame);
            case Wire.HELLO -> Wire.helloResult(frame);
            case Wire.PING -> Wire.pingResult(frame);
            case Wire.INTERPRET -> Wire.interpretation(frame);
            case Wire.CSC_GENERATE -> Wire.generated(frame);
            case Wire.CSC_VERIFY, Wire.CAVV_VERIFY -> Wire.verification(frame);
            case Wire.CAVV_GENERATE -> Wire.generatedValue(frame);
            default -> frame.tags().contains(0x20) ? Wire.exposition(frame) : Wire.statsResult(frame);
        };
    }

    private static Object attempt(Function<CardCheckClient, Object> call, CardCheckClient client) {
        try {
            return call.apply(client);
        } catch (ServerErrorException e) {
            return e;
        }
    }

    private static ValidateRequest requestFromLine(String line) {
        Map<String, Object> keys = object(MiniJson.parse(line));
        Object indicator = keys.get("csc_indicator");
        Integer cscIndicator = indicator == null ? null
                : indicator instanceof Long n ? Integer.valueOf(n.intValue()) : Integer.valueOf(Integer.parseInt((String) indicator));
        return ValidateRequest.builder().pan((String) keys.get("pan")).expiry((String) keys.get("expiry"))
                .csc((String) keys.get("csc")).cscIndicator(cscIndicator).street((String) keys.get("street"))
                .postalCode((String) keys.get("postal_code")).country((String) keys.get("country"))
                .onFileStreet((String) keys.get("on_file_street")).onFilePostalCode((String) keys.get("on_file_postal_code"))
                .onFileCountry((String) keys.get("on_file_country")).threeDSStatus((String) keys.get("three_ds_status"))
                .eci((String) keys.get("eci")).authenticationValue((String) keys.get("authentication_value"))
                .threeDSVersion((String) keys.get("three_ds_version"))
                .threeDSStatusReason((String) keys.get("three_ds_status_reason")).profile((String) keys.get("profile"))
                .build();
    }

    /** The JSON Lines line for a request line, through the client. */
    private static String answerLine(CardCheckClient client, String line) {
        try {
            return client.validate(requestFromLine(line)).toJsonLine();
        } catch (ServerErrorException e) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("code", e.code());
            error.put("field", e.field());
            error.put("message", e.serverMessage());
            return Json.write(Map.of("error", error));
        }
    }

    /** Reads exactly count bytes from the channel; null at EOF before the first. (Channels' streams are not
     * used: they serialise reads and writes on one lock, and a pipelining test writes while it reads.) */
    private static byte[] readExactly(SocketChannel channel, int count) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(count);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                if (buffer.position() == 0) return null;
                throw new IOException("the server closed the connection mid-frame");
            }
        }
        return buffer.array();
    }

    private static byte[] readFrame(SocketChannel channel) throws IOException {
        byte[] head = readExactly(channel, 4);
        if (head == null) throw new IOException("the server closed the connection");
        byte[] body = readExactly(channel, ByteBuffer.wrap(head).getInt());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head);
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static void writeAll(SocketChannel channel, byte[] data) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(data);
        while (buffer.hasRemaining()) channel.write(buffer);
    }

    private static List<Integer> tags(byte[] frame) {
        List<Integer> tags = new ArrayList<>();
        Wire.parseFields(java.util.Arrays.copyOfRange(frame, 12, frame.length), tags, new ArrayList<>());
        return tags;
    }

    @Test
    void conformance() throws Exception {
        String socketPath = System.getenv("CARDCHECK_SOCKET");
        assumeTrue(socketPath != null, "CARDCHECK_SOCKET is not set: run clients/test/run java");
        Path socket = Path.of(socketPath), vectors = Path.of(System.getenv("CARDCHECK_VECTORS"));
        List<Object> wire = list(object(MiniJson.parse(Files.readString(vectors.resolve("wire.json")))).get("vectors"));
        List<Object> jsonl = list(object(MiniJson.parse(Files.readString(vectors.resolve("validate-jsonl.json")))).get("vectors"));
        List<String> cards = Files.readAllLines(Path.of(System.getenv("CARDCHECK_CARDS")));
        List<String> expectedLines = Files.readAllLines(Path.of(System.getenv("CARDCHECK_EXPECTED")));

        // Every vector, encoded and decoded by the client.
        for (Object item : wire) {
            Map<String, Object> v = object(item), request = object(v.get("request_meaning"));
            Typed call = typed(request);
            if (call != null) {
                check(HEX.formatHex(call.encode().apply((Long) request.get("request_id"))).equals(v.get("request")), "encode: " + v.get("name"));
            }
            long opcode = (Long) request.get("opcode");
            String want = expected(object(v.get("response_meaning")));
            if (want != null && opcode >= 1 && opcode <= 7) {
                String got = actual(decodeFor(opcode, HEX.parseHex((String) v.get("response"))));
                check(want.equals(got), "decode: " + v.get("name") + ": " + got + " != " + want);
            }
        }

        // Every vector's bytes to the daemon, pipelined on one connection; the closing one on its own.
        try (SocketChannel raw = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ByteArrayOutputStream stream = new ByteArrayOutputStream();
            int open = 0;
            for (Object item : wire) {
                Map<String, Object> v = object(item);
                if (!Boolean.TRUE.equals(v.get("closes_connection"))) {
                    stream.writeBytes(HEX.parseHex((String) v.get("request")));
                    open++;
                }
            }
            Thread writer = new Thread(() -> {
                try { writeAll(raw, stream.toByteArray()); } catch (IOException ignored) { }
            });
            writer.start();
            Map<Long, byte[]> answers = new HashMap<>();
            for (int i = 0; i < open; i++) {
                byte[] frame = readFrame(raw);
                answers.put(Integer.toUnsignedLong(ByteBuffer.wrap(frame, 8, 4).getInt()), frame);
            }
            writer.join();
            for (Object item : wire) {
                Map<String, Object> v = object(item);
                if (Boolean.TRUE.equals(v.get("closes_connection"))) continue;
                byte[] got = answers.get((Long) object(v.get("request_meaning")).get("request_id"));
                if (v.containsKey("response_varies")) {
                    check(got != null && tags(got).equals(tags(HEX.parseHex((String) v.get("response")))), "live raw: " + v.get("name"));
                } else {
                    check(got != null && HEX.formatHex(got).equals(v.get("response")), "live raw: " + v.get("name"));
                }
            }
        }
        for (Object item : wire) {
            Map<String, Object> v = object(item);
            if (!Boolean.TRUE.equals(v.get("closes_connection"))) continue;
            try (SocketChannel raw = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                writeAll(raw, HEX.parseHex((String) v.get("request")));
                byte[] frame = readFrame(raw);
                check(HEX.formatHex(frame).equals(v.get("response")) && readExactly(raw, 1) == null,
                        "live raw, then the close: " + v.get("name"));
            }
        }

        try (CardCheckClient client = new CardCheckClient(socket)) {
            // Every vector the typed API can send, through it.
            for (Object item : wire) {
                Map<String, Object> v = object(item);
                Typed call = typed(object(v.get("request_meaning")));
                if (call == null) continue;
                Object answer = attempt(call.call(), client);
                String want = expected(object(v.get("response_meaning")));
                if (want == null) {
                    check(!(answer instanceof ServerErrorException), "live typed: " + v.get("name"));
                } else {
                    check(want.equals(actual(answer)), "live typed: " + v.get("name") + ": " + actual(answer));
                }
            }
            // The JSON Lines vectors a binary client can send.
            for (Object item : jsonl) {
                Map<String, Object> v = object(item);
                String response = (String) v.get("response");
                if (response.startsWith("{\"error\"")
                        && JSON_ONLY_ERRORS.contains(object(object(MiniJson.parse(response)).get("error")).get("code"))) continue;
                String got = answerLine(client, (String) v.get("request"));
                check(got.equals(response), "JSON Lines vector: " + v.get("name") + ": " + got);
            }

            // The generated cards from 8 threads on one connection, against validate --local --keys.
            long before = client.stats().connectionsAccepted().orElse(-1);
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<String>> answers = new ArrayList<>();
            for (String card : cards) answers.add(pool.submit(() -> answerLine(client, card)));
            int wrong = 0;
            for (int i = 0; i < cards.size(); i++) {
                String got = answers.get(i).get();
                if (i >= expectedLines.size() || !got.equals(expectedLines.get(i))) {
                    if (wrong++ == 0) System.err.println("card " + i + ": " + cards.get(i) + "\n  got      " + got);
                }
            }
            pool.shutdown();
            long after = client.stats().connectionsAccepted().orElse(-2);
            check(wrong == 0 && cards.size() == expectedLines.size(), wrong + " of " + cards.size() + " generated cards differ");
            check(before == after, "8 threads shared one connection");
        }

        // A restart in the middle: every call answered right; the client reconnected.
        try (CardCheckClient client = new CardCheckClient(socket, Duration.ofSeconds(10), 3)) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger right = new AtomicInteger();
            List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Thread> callers = new ArrayList<>();
            for (int worker = 0; worker < 4; worker++) {
                int first = worker;
                Thread caller = new Thread(() -> {
                    for (int i = first; !stop.get(); i += 4) {
                        try {
                            String got = answerLine(client, cards.get(i % cards.size()));
                            if (got.equals(expectedLines.get(i % cards.size()))) right.incrementAndGet(); else problems.add(got);
                        } catch (CardCheckException e) {
                            problems.add(e.toString());
                        }
                    }
                });
                caller.start();
                callers.add(caller);
            }
            Thread.sleep(300);
            Process restart = new ProcessBuilder("sh", "-c", System.getenv("CARDCHECK_RESTART")).inheritIO().start();
            assertEquals(0, restart.waitFor());
            Thread.sleep(500);
            stop.set(true);
            for (Thread caller : callers) caller.join();
            check(problems.isEmpty() && right.get() > 0, "restart: " + problems.size() + " problems " + problems.stream().limit(2).toList());
            check(client.reconnects() >= 1, "restart: the client reconnected");
        }

        errorKinds(socket);
        System.out.println("java: " + checks + " checks (" + wire.size() + " wire vectors, " + jsonl.size()
                + " JSON Lines vectors, " + cards.size() + " generated cards), " + failures.size() + " failed");
        assertEquals(List.of(), failures);
    }

    /** A Unix socket server that answers each connection with behave. */
    private static final class FakeServer implements AutoCloseable {
        final Path path;
        final ServerSocketChannel server;
        final AtomicInteger connections = new AtomicInteger();

        FakeServer(Consumer<SocketChannel> behave) throws IOException {
            path = Files.createTempDirectory("fake").resolve("fake.sock");
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            Thread acceptor = new Thread(() -> {
                while (true) {
                    try {
                        SocketChannel connection = server.accept();
                        connections.incrementAndGet();
                        Thread handler = new Thread(() -> behave.accept(connection));
                        handler.setDaemon(true);
                        handler.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    private void errorKinds(Path socket) throws Exception {
        String secretPan = "4111111111111111", secretCode = "987";
        try (CardCheckClient client = new CardCheckClient(socket)) {
            record Case(ValidateRequest request, ErrorKind kind, String code) {}
            for (Case each : List.of(
                    new Case(ValidateRequest.builder().pan("4111x").build(), ErrorKind.INVALID_FIELD, "pan_invalid_character"),
                    new Case(ValidateRequest.builder().build(), ErrorKind.MISSING_FIELD, "nothing_to_check"),
                    new Case(ValidateRequest.builder().pan(secretPan).csc(secretCode).cscIndicator(9).build(),
                            ErrorKind.INVALID_FIELD, "csc_contradiction"))) {
                try {
                    client.validate(each.request());
                    check(false, each.code() + ": an answer instead of an error");
                } catch (ServerErrorException e) {
                    check(e.kind() == each.kind() && e.code().equals(each.code()), each.code() + ": " + e);
                    check(!e.toString().contains(secretPan) && !e.toString().contains(secretCode), each.code() + ": no secret in the error");
                }
            }
            check(new String(client.ping("still here".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8).equals("still here"),
                    "the connection survives request errors");
            String shown = ValidateRequest.builder().pan(secretPan).csc(secretCode).build().toString();
            check(!shown.contains(secretPan) && !shown.contains(secretCode), "a request's string hides the PAN and code");
            Results.GeneratedCode generated = client.generateCsc("4114585553881637", "12/28", null);
            check(!generated.toString().contains(generated.code()), "a generated code's string hides it");
            Results.GeneratedAuthenticationValue value = client.generateCavv(CavvOrder.of("4123456789012349", "Y"));
            check(value.bytes().length == 20 && !value.toString().contains(value.authenticationValue())
                    && !CavvOrder.of("4123456789012349", "Y").toString().contains("4123456789012349"),
                    "a generated authentication value's and an order's strings hide the value and the PAN");
            check(client.verifyCavv("4123456789012349", value.authenticationValue()).matched(), "a random-ATN CAVV verifies");
        }

        try (FakeServer silent = new FakeServer(connection -> {
            try { while (connection.read(ByteBuffer.allocate(65536)) >= 0) { } } catch (IOException ignored) { }
        })) {
            long started = System.nanoTime();
            try (CardCheckClient client = new CardCheckClient(silent.path, Duration.ofMillis(300), 3)) {
                client.ping(new byte[0]);
                check(false, "a silent server: an answer");
            } catch (TimeoutException e) {
                check(System.nanoTime() - started < 2_000_000_000L, "a silent server: TimeoutException in time");
            }
        }

        try (FakeServer liar = new FakeServer(connection -> {
            try {
                while (connection.read(ByteBuffer.allocate(65536)) >= 0) {
                    connection.write(ByteBuffer.wrap("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
                }
            } catch (IOException ignored) { }
        }); CardCheckClient client = new CardCheckClient(liar.path, Duration.ofSeconds(2), 3)) {
            for (int i = 0; i < 2; i++) {
                try {
                    client.ping(new byte[0]);
                    check(false, "garbage: an answer");
                } catch (ProtocolException e) {
                    check(true, "garbage: ProtocolException");
                }
            }
            check(liar.connections.get() == 2, "garbage: the broken connection was closed and a new one opened");
        }

        try (FakeServer wrongOpcode = new FakeServer(connection -> {
            try {
                byte[] request = readFrame(connection);
                connection.write(ByteBuffer.wrap(Wire.frame(0x83, Integer.toUnsignedLong(ByteBuffer.wrap(request, 8, 4).getInt()), 0, new byte[0])));
            } catch (IOException ignored) { }
        }); CardCheckClient client = new CardCheckClient(wrongOpcode.path, Duration.ofSeconds(2), 3)) {
            client.ping(new byte[0]);
            check(false, "wrong opcode: an answer");
        } catch (ProtocolException e) {
            check(true, "wrong opcode: ProtocolException");
        }

        // A server that refuses each connection at once: an ERROR frame with request id 0, then the close.
        Consumer<SocketChannel> refuse = connection -> {
            try {
                byte[] body = new Wire.Body().field(1, new byte[] {8}).text(2, "not_permitted").text(4, "peer not allowed").bytes();
                connection.write(ByteBuffer.wrap(Wire.frame(Wire.ERROR, 0, 0, body)));
                connection.close();
            } catch (IOException ignored) { }
        };
        try (FakeServer refusing = new FakeServer(refuse); CardCheckClient client = new CardCheckClient(refusing.path, Duration.ofSeconds(2), 3)) {
            client.validate(ValidateRequest.builder().pan(secretPan).build());
            check(false, "refusal: an answer");
        } catch (ServerErrorException e) {
            check(e.kind() == ErrorKind.NOT_PERMITTED && e.closesConnection(), "refusal: " + e);
        }
        // The refusal and the close read before the first write (the order a busy client sees): the request
        // gets the refusal, not a resend that the next connection refuses too.
        try (FakeServer refusing = new FakeServer(refuse); CardCheckClient client = new CardCheckClient(refusing.path, Duration.ofSeconds(2), 3)) {
            CardCheckClient.Connection connection = client.connect(System.nanoTime() + 2_000_000_000L);
            for (int waited = 0; !connection.closed && waited < 200; waited++) Thread.sleep(10);
            Throwable failure = null;
            try {
                connection.submit(1, Wire.PING, Wire.frame(Wire.PING, 1, 0, new byte[0])).get(2, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                failure = e.getCause();
            }
            check(failure instanceof ServerErrorException refusal && refusal.kind() == ErrorKind.NOT_PERMITTED,
                "refusal read before the write: " + failure);
        }

        long started = System.nanoTime();
        try (CardCheckClient client = new CardCheckClient(Path.of("/nonexistent/cardcheck.sock"), Duration.ofMillis(500), 3)) {
            client.ping(new byte[0]);
            check(false, "no daemon: an answer");
        } catch (ConnectionFailedException e) {
            check(System.nanoTime() - started < 2_000_000_000L, "no daemon: ConnectionFailedException in time");
        }
        Objects.requireNonNull(socket);
    }
}
