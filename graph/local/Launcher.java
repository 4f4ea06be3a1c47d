import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilderImplementation;

/**
 * Starts an embedded Neo4j Community server with Bolt on a loopback port.
 *
 * Usage: java -cp 'lib/*:classes' Launcher HOME_DIR KEY=VALUE...
 * Every KEY=VALUE is a neo4j.conf setting passed through setConfigRaw, so the Python side owns
 * the configuration. Prints "MINHU-NEO4J-READY" once the default database is available and
 * shuts down cleanly on SIGTERM/SIGINT, so no store is left needing recovery.
 */
public final class Launcher {
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: Launcher HOME_DIR [KEY=VALUE ...]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        // The Implementation builder is the one that takes raw neo4j.conf keys (setConfigRaw).
        DatabaseManagementServiceBuilderImplementation builder = new DatabaseManagementServiceBuilderImplementation(home);
        java.util.HashMap<String, String> raw = new java.util.HashMap<>();
        for (int i = 1; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                System.err.println("bad setting (want KEY=VALUE): " + args[i]);
                System.exit(2);
            }
            raw.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        builder.setConfigRaw(Map.copyOf(raw));
        DatabaseManagementService service = builder.build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.shutdown();
            stopped.countDown();
        }));
        // Touch the default database so "ready" means it accepts queries, not merely that the JVM is up.
        service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        System.out.println("MINHU-NEO4J-READY");
        System.out.flush();
        stopped.await();
    }
}
