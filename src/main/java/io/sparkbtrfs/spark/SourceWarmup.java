package io.sparkbtrfs.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.apache.spark.api.plugin.DriverPlugin;
import org.apache.spark.api.plugin.ExecutorPlugin;
import org.apache.spark.api.plugin.PluginContext;
import org.apache.spark.api.plugin.SparkPlugin;

/**
 * A Spark plugin that starts, in each executor as it starts, the Hadoop file systems of the dump's remote sources
 * (S3A and its AWS SDK client: 1-3 s of CPU), on a thread of its own, so that this happens while the driver still
 * plans rather than in the executor's first task. The file system is the one the tasks then get from Hadoop's cache:
 * same URI, same user, and the very configuration the tasks carry. Tasks wait for it ({@link #awaitInExecutor}) rather
 * than start a second one beside it. Only what the driver registered with {@link #register} is warmed.
 */
public final class SourceWarmup implements SparkPlugin {
    /** Spark key naming the registration of this context's dump (driver side). */
    static final String ID = "spark.btrfs.sourceWarmup.id";
    private static final String URIS = "uris";
    private static final String CONF = "conf";
    /** Driver side: what each context started with this plugin is to warm, until its driver plugin takes it. */
    private static final Map<String, Map<String, String>> REGISTERED = new ConcurrentHashMap<>();
    /** Executor side: the warming of this JVM, or null. */
    private static volatile CompletableFuture<Void> warming;

    /**
     * Adds the plugin to {@code spark} when some of {@code devices} are URIs (remote file systems) and the master is a
     * local cluster: its executors are JVMs of their own started with this JVM's class path, so the plugin's class is
     * there as they start (an executor that cannot load a plugin fails to start). A no-op otherwise: executors in
     * this JVM share its file systems; a cluster's executors may get our jar only later.
     */
    static void register(SparkConf spark, Configuration hadoop, List<String> devices) {
        List<String> uris = devices.stream().filter(io.sparkbtrfs.device.BlockSources::isUri).toList();
        String master = spark.get("spark.master", "local");
        if (uris.isEmpty() || !SparkSessions.onThisHost(master) || SparkSessions.inDriverJvm(master)) {
            return;
        }
        String id = UUID.randomUUID().toString();
        REGISTERED.put(id, Map.of(URIS, String.join("\n", uris), CONF, encode(hadoop)));
        spark.set(ID, id);
        String plugins = spark.get("spark.plugins", "");
        spark.set("spark.plugins", plugins.isEmpty() ? SourceWarmup.class.getName()
                : plugins + "," + SourceWarmup.class.getName());
    }

    /** In a task: waits until this executor's warming (if any) ended, whatever its outcome. */
    static void awaitInExecutor() {
        CompletableFuture<Void> w = warming;
        if (w == null) {
            return;
        }
        try {
            w.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // the task opens the source itself and reports what fails
        }
    }

    @Override
    public DriverPlugin driverPlugin() {
        return new DriverPlugin() {
            @Override
            public Map<String, String> init(SparkContext sc, PluginContext context) {
                Map<String, String> what = REGISTERED.remove(sc.conf().get(ID, ""));
                return what == null ? Map.of() : what;
            }
        };
    }

    @Override
    public ExecutorPlugin executorPlugin() {
        return new ExecutorPlugin() {
            @Override
            public void init(PluginContext context, Map<String, String> extraConf) {
                String uris = extraConf.get(URIS);
                String conf = extraConf.get(CONF);
                if (uris == null || conf == null) {
                    return;
                }
                warming = CompletableFuture.runAsync(() -> {
                    Configuration hadoop = decode(conf);
                    for (String uri : uris.split("\n")) {
                        try {
                            new Path(uri).getFileSystem(hadoop);
                        } catch (IOException | RuntimeException e) {
                            // the task meets the same failure and reports it
                        }
                    }
                }, runnable -> {
                    Thread t = new Thread(runnable, "btrfs-source-warmup");
                    t.setDaemon(true);
                    t.start();
                });
            }
        };
    }

    private static String encode(Configuration conf) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            conf.write(out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    private static Configuration decode(String s) {
        Configuration conf = new Configuration(false);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(Base64.getDecoder().decode(s)))) {
            conf.readFields(in);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return conf;
    }
}
