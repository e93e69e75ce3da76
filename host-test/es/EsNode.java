// A single Elasticsearch node for the tests, started from the server jars on
// Maven Central (no distribution tarball is published to a registry). The
// server's own launcher needs the CLI handshake and refuses root, so this
// builds the node the way the launcher does inside: settings, an environment
// and the modules folder, then Node.start(). Usage:
//   java -cp lib/*:classes EsNode HOME HTTP_PORT TRANSPORT_PORT DATA_DIR [CONFIG_DIR]
// CONFIG_DIR (default HOME/config) is what ES_PATH_CONF is to the real
// launcher: its elasticsearch.yml is read, and paths in settings (TLS keys
// and certificates, the file realm's users) resolve against it. The secured
// node (host-test/es/secured.mjs) writes one per run.
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.PluginsLoader;

public final class EsNode {
    public static void main(String[] args) throws Exception {
        // Logging set-up takes System.err over; a failure to start must still
        // reach the test's log.
        PrintStream stderr = System.err;
        try {
            start(args);
        } catch (Throwable t) {
            stderr.println("EsNode: the node did not start");
            t.printStackTrace(stderr);
            stderr.flush();
            System.exit(1);
        }
        // Node threads are daemons: without this the JVM would exit here and
        // the shutdown hook would close the node at once.
        new CountDownLatch(1).await();
    }

    private static void start(String[] args) throws Exception {
        Path home = Path.of(args[0]).toAbsolutePath();
        Path config = args.length > 4 ? Path.of(args[4]).toAbsolutePath() : home.resolve("config");
        Settings.Builder builder = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", Path.of(args[3]).toAbsolutePath().toString())
            .put("path.logs", Path.of(args[3]).toAbsolutePath().resolve("logs").toString())
            .put("cluster.name", "sysdig-normalizer-test")
            .put("node.name", "test-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", args[1])
            .put("transport.port", args[2])
            .put("discovery.type", "single-node")
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            .putList("node.roles", "master", "data", "ingest")
            // The test machine's disk fill must not make the node refuse writes.
            .put("cluster.routing.allocation.disk.threshold_enabled", false);
        Path yml = config.resolve("elasticsearch.yml");
        // Last, so that it can replace the defaults above (the secured node
        // sets http.type and transport.type to security4).
        if (Files.exists(yml) && Files.size(yml) > 0) builder.loadFromPath(yml);
        Settings settings = builder.build();
        Environment env = new Environment(settings, config);
        // The launcher sets up logging before anything else; plugin scanning needs it.
        LogConfigurator.configureESLogging();
        LogConfigurator.configure(env, false);
        PluginsLoader loader = PluginsLoader.createPluginsLoader(
            PluginsLoader.loadModulesBundles(home.resolve("modules")), Set.of(), Map.of(), false);
        Node node = new Node(env, loader);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try { node.close(); } catch (Exception e) { e.printStackTrace(); }
        }));
        node.start();
    }
}
