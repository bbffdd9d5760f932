package dev.cardcheck;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * The official Java client of cardcheckd, safe to share between threads: one connection, requests
 * pipelined and answers matched by request id. Every call has a timeout; a connection that breaks is
 * reopened and the request sent again (every operation is idempotent), up to {@code attempts} times.
 *
 * <pre>{@code
 * try (CardCheckClient client = new CardCheckClient(Path.of("run/cardcheck.sock"))) {
 *     ValidateResult result = client.validate(ValidateRequest.builder().pan("4111 1111 1111 1111")
 *             .expiry("12/30").csc("123").postalCode("12345").onFilePostalCode("12345").build());
 *     if (result.action() == Action.DECLINE) System.out.println(result.reasons());
 * }
 * }</pre>
 */
public final class CardCheckClient implements AutoCloseable {
    public static final Path DEFAULT_SOCKET = Path.of("run/cardcheck.sock");

    private final Path socket;
    private final Duration timeout;
    private final int attempts;
    private final Object lock = new Object();
    private Connection connection;
    private long nextId;
    private boolean closed;
    private int reconnects;

    public CardCheckClient(Path socket) {
        this(socket, Duration.ofSeconds(5), 3);
    }

    public CardCheckClient(Path socket, Duration timeout, int attempts) {
        if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive");
        this.socket = socket;
        this.timeout = timeout;
        this.attempts = Math.max(1, attempts);
    }

    @Override
    public void close() {
        Connection open;
        synchronized (lock) {
            closed = true;
            open = connection;
            connection = null;
        }
        if (open != null) open.fail(LOST);
    }

    /** Connections opened after the first. */
    public int reconnects() {
        synchronized (lock) {
            return reconnects;
        }
    }

    @Override
    public String toString() {
        return "CardCheckClient[" + socket + "]";
    }

    public ValidateResult validate(ValidateRequest request) {
        return call(Wire.VALIDATE, id -> Wire.validate(id, request), Wire::validateResult);
    }

    public Results.Hello hello(String clientName) {
        return call(Wire.HELLO, id -> Wire.hello(id, clientName), Wire::helloResult);
    }

    public byte[] ping(byte[] payload) {
        return call(Wire.PING, id -> Wire.ping(id, payload), Wire::pingResult);
    }

    /** The meaning of an AVS and/or a CSC result letter (null for none). */
    public Results.Interpretation interpret(String avs, String csc) {
        return call(Wire.INTERPRET, id -> Wire.interpret(id, avs, csc), Wire::interpretation);
    }

    public Results.Stats stats() {
        return call(Wire.STATS, id -> Wire.stats(id, false), Wire::statsResult);
    }

    /** The daemon's metrics in the Prometheus text format. */
    public String metrics() {
        return call(Wire.STATS, id -> Wire.stats(id, true), Wire::exposition);
    }

    /** A card's code made with the issuer's key; serviceCode null means 000 (the printed code). */
    public Results.GeneratedCode generateCsc(String pan, String expiry, String serviceCode) {
        return call(Wire.CSC_GENERATE, id -> Wire.securityCode(Wire.CSC_GENERATE, id, pan, expiry, serviceCode, null),
                Wire::generated);
    }

    /** M, N or U for a card's code, checked with the issuer's keys. */
    public Results.Verification verifyCsc(String pan, String expiry, String csc, String serviceCode) {
        return call(Wire.CSC_VERIFY, id -> Wire.securityCode(Wire.CSC_VERIFY, id, pan, expiry, serviceCode, csc),
                Wire::verification);
    }

    /**
     * A 3-D Secure authentication value (Visa CAVV, Mastercard SPA AAV) made with the issuer's key; the peer must be
     * listed in the daemon's cavv_generate_users or cavv_generate_groups.
     */
    public Results.GeneratedAuthenticationValue generateCavv(CavvOrder order) {
        return call(Wire.CAVV_GENERATE, id -> Wire.cavv(Wire.CAVV_GENERATE, id, order.pan(), null, order),
                Wire::generatedValue);
    }

    /** M, N or U for a CAVV or AAV (base64 of 20 bytes, or 40 hex digits), checked with the issuer's keys. */
    public Results.Verification verifyCavv(String pan, String authenticationValue) {
        return call(Wire.CAVV_VERIFY, id -> Wire.cavv(Wire.CAVV_VERIFY, id, pan, authenticationValue, null),
                Wire::verification);
    }

    /** The connection closed before the answer: resend on a new one. */
    private static final CardCheckException LOST = new CardCheckException("the connection closed before the answer");

    private record Pending(int opcode, CompletableFuture<Wire.Frame> answer) {}

    // Package-private, with connect, for the conformance test's refusal-before-the-first-write case.
    static final class Connection {
        final SocketChannel channel;
        final Map<Long, Pending> pending = new ConcurrentHashMap<>();
        final Object writeLock = new Object();
        volatile boolean closed;
        /**
         * Why the connection closed, written before {@code closed}. A request submitted after the close gets the
         * server's refusal (which can arrive before the first write); after anything else it is sent again.
         */
        volatile CardCheckException failure = LOST;

        Connection(SocketChannel channel) {
            this.channel = channel;
            Thread reader = new Thread(this::read, "cardcheck-reader");
            reader.setDaemon(true);
            reader.start();
        }

        CompletableFuture<Wire.Frame> submit(long id, int opcode, byte[] data) {
            CompletableFuture<Wire.Frame> answer = new CompletableFuture<>();
            pending.put(id, new Pending(opcode, answer));
            if (closed) {
                pending.remove(id);
                answer.completeExceptionally(failure instanceof ServerErrorException refusal ? refusal : LOST);
                return answer;
            }
            try {
                synchronized (writeLock) {
                    ByteBuffer out = ByteBuffer.wrap(data);
                    while (out.hasRemaining()) channel.write(out);
                }
            } catch (IOException e) {
                // The server may have refused us before we wrote: the reader delivers that, or the EOF.
            }
            return answer;
        }

        void read() {
            Wire.FrameReader reader = new Wire.FrameReader(1 << 24);
            CardCheckException failure = LOST;
            ByteBuffer buffer = ByteBuffer.allocate(65536);
            try {
                while (channel.read(buffer.clear()) >= 0) {
                    for (Wire.Frame frame : reader.feed(buffer.array(), buffer.position())) {
                        if (frame.requestId() == 0 && frame.opcode() == Wire.ERROR) {
                            failure = Wire.error(frame); // a refusal or a broken stream: the server closes
                            continue;
                        }
                        Pending request = pending.get(frame.requestId());
                        if (request == null) continue; // the answer to a request that timed out
                        if (frame.opcode() != (request.opcode() | 0x80) && frame.opcode() != Wire.ERROR) {
                            throw new ProtocolException("a response with another operation's opcode");
                        }
                        pending.remove(frame.requestId());
                        request.answer().complete(frame);
                    }
                }
            } catch (ProtocolException e) {
                failure = e;
            } catch (IOException e) {
                // closed
            }
            fail(failure);
        }

        void fail(CardCheckException error) {
            if (!closed) {
                failure = error;
                closed = true;
            }
            try {
                channel.close();
            } catch (IOException ignored) {
                // nothing more to do
            }
            List<Pending> waiting = new ArrayList<>(pending.values());
            pending.clear();
            for (Pending request : waiting) request.answer().completeExceptionally(error);
        }
    }

    Connection connect(long deadline) {
        long delay = 20;
        while (true) {
            IOException last;
            synchronized (lock) {
                if (closed) throw new CardCheckException("the client is closed");
                if (connection != null && !connection.closed) return connection;
                try {
                    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
                    try {
                        channel.connect(UnixDomainSocketAddress.of(socket));
                    } catch (IOException e) {
                        channel.close();
                        throw e;
                    }
                    if (connection != null) reconnects++;
                    connection = new Connection(channel);
                    return connection;
                } catch (IOException e) {
                    last = e;
                }
            }
            if (System.nanoTime() + delay * 1_000_000 >= deadline) {
                throw new ConnectionFailedException("cannot connect to " + socket + ": " + last.getMessage(), last);
            }
            try {
                Thread.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CardCheckException("interrupted", e);
            }
            delay = Math.min(delay * 2, 500);
        }
    }

    private long nextId() {
        synchronized (lock) {
            nextId = nextId == 0xFFFF_FFFFL ? 1 : nextId + 1;
            return nextId;
        }
    }

    private <T> T call(int opcode, LongFunction<byte[]> encode, Function<Wire.Frame, T> decode) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int attempt = 0; attempt < attempts; attempt++) {
            Connection open = connect(deadline);
            long id = nextId();
            CompletableFuture<Wire.Frame> answer = open.submit(id, opcode, encode.apply(id));
            Wire.Frame frame;
            try {
                frame = answer.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                open.pending.remove(id);
                throw new TimeoutException("no answer from cardcheckd within " + timeout.toMillis() + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CardCheckException("interrupted", e);
            } catch (ExecutionException e) {
                if (e.getCause() == LOST) continue;
                if (e.getCause() instanceof CardCheckException known) throw known;
                throw new CardCheckException("unexpected failure", e.getCause());
            }
            if (frame.opcode() == Wire.ERROR) throw Wire.error(frame);
            try {
                return decode.apply(frame);
            } catch (ProtocolException e) {
                open.fail(e);
                throw e;
            }
        }
        throw new ConnectionFailedException("the connection to " + socket + " broke " + attempts + " times", null);
    }
}
