// A single OpenSearch node for the tests, started from the server jars on
// Maven Central (no distribution is published to a registry), the way
// host-test/es/EsNode.java starts Elasticsearch: settings, an environment and
// the modules folder, then Node.start(), skipping the launcher's bootstrap
// (root check, bootstrap checks). Usage:
//   java -cp lib/*:classes OsNode HOME HTTP_PORT TRANSPORT_PORT DATA_DIR
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.Node;

public final class OsNode {
    public static void main(String[] args) throws Exception {
        // Logging set-up takes System.err over; a failure to start must still
        // reach the test's log.
        PrintStream stderr = System.err;
        try {
            start(args);
        } catch (Throwable t) {
            stderr.println("OsNode: the node did not start");
            t.printStackTrace(stderr);
            stderr.flush();
            System.exit(1);
        }
        // Node threads are daemons: without this the JVM would exit here.
        new CountDownLatch(1).await();
    }

    private static void start(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        Path data = Path.of(args[3]).toAbsolutePath();
        Settings settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("path.logs", data.resolve("logs").toString())
            .put("cluster.name", "sysdig-normalizer-test")
            .put("node.name", "test-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", args[1])
            .put("transport.port", args[2])
            .put("discovery.type", "single-node")
            .putList("node.roles", "cluster_manager", "data", "ingest")
            // The test machine's disk fill must not make the node refuse writes.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();
        Environment env = new Environment(settings, home.resolve("config"));
        LogConfigurator.registerErrorListener();
        LogConfigurator.configure(env);
        Node node = new Node(env);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try { node.close(); } catch (Exception e) { e.printStackTrace(); }
        }));
        node.start();
    }
}
