import dev.cardcheck.CardCheckClient;
import dev.cardcheck.ValidateRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** One CardCheckClient (one connection), 16 threads each with one VALIDATE of a full card in flight:
 *  java -cp cardcheck-client.jar bench/Bench.java SOCKET SECONDS */
public class Bench {
    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args.length > 0 ? args[0] : "run/cardcheck.sock");
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 5;
        ValidateRequest request = ValidateRequest.builder().pan("4111 1111 1111 1111").expiry("12/30").csc("123")
                .street("1 Main St").postalCode("12345").onFileStreet("1 Main Street").onFilePostalCode("12345").build();
        try (CardCheckClient client = new CardCheckClient(socket)) {
            long warmUntil = System.nanoTime() + 1_000_000_000L;
            while (System.nanoTime() < warmUntil) client.validate(request);
            AtomicLong count = new AtomicLong();
            long started = System.nanoTime(), deadline = started + (long) (seconds * 1e9);
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Thread thread = new Thread(() -> {
                    while (System.nanoTime() < deadline) {
                        client.validate(request);
                        count.incrementAndGet();
                    }
                });
                thread.start();
                threads.add(thread);
            }
            for (Thread thread : threads) thread.join();
            double elapsed = (System.nanoTime() - started) / 1e9;
            System.out.printf("java %s, one connection, 16 threads, VALIDATE of a full card: %.0f requests/s%n",
                    Runtime.version(), count.get() / elapsed);
        }
    }
}
