package io.sparkbtrfs.spark;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Builds the Spark and Hadoop configuration from, in increasing priority: {@code conf/spark-defaults.conf}
 * and {@code conf/core-site.xml} (directory from the system property {@code spark.btrfs.conf.dir}), what
 * spark-submit put into system properties, and the command line ({@code --master}, {@code --conf}).
 */
public final class SparkSessions {
    public static final String CONF_DIR_PROPERTY = "spark.btrfs.conf.dir";

    private SparkSessions() {
    }

    public static SparkConf sparkConf(String master, boolean masterGiven, Map<String, String> cli) throws IOException {
        SparkConf conf = new SparkConf(true);
        Path dir = confDir();
        if (dir != null && Files.isRegularFile(dir.resolve("spark-defaults.conf"))) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(dir.resolve("spark-defaults.conf"))) {
                p.load(in);
            }
            for (String key : p.stringPropertyNames()) {
                if (key.startsWith("spark.")) {
                    conf.setIfMissing(key, p.getProperty(key).trim());
                }
            }
        }
        for (Map.Entry<String, String> e : cli.entrySet()) {
            if (e.getKey().startsWith("spark.")) {
                conf.set(e.getKey(), e.getValue());
            }
        }
        // spark-submit sets spark.master; our default must not override it, an explicit --master does.
        if (masterGiven || !conf.contains("spark.master")) {
            conf.setMaster(master);
        }
        conf.setIfMissing("spark.app.name", "btrfs-image");
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        String m = conf.get("spark.master");
        if (m.startsWith("local")) {
            conf.setIfMissing("spark.driver.host", "127.0.0.1");
            conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
        }
        if (m.startsWith("local-cluster")) {
            // Executor JVMs of a local cluster need our classes; there is no distribution to provide them.
            conf.setIfMissing("spark.executor.extraClassPath", System.getProperty("java.class.path"));
            // They live as long as one dump, on this machine's cores: C2 compilation would cost them more CPU
            // than it saves (as for the driver, see scripts/btrfs-image); measured 12.8 s -> 9.2 s on bench.
            conf.setIfMissing("spark.executor.extraJavaOptions", localExecutorJavaOptions(
                    java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments(),
                    System.getProperty("java.home"), System.getenv("JAVA_HOME")));
        } else if (!m.startsWith("local") && !conf.contains("spark.jars")) {
            String jar = ownJar();
            if (jar != null) {
                conf.set("spark.jars", jar);
            }
        }
        return conf;
    }

    /**
     * JVM options of a local cluster's executors. They run this JVM's class path, so the class-data archive this
     * JVM was started with ({@code -XX:SharedArchiveFile}, built by scripts/btrfs-image with Spark's and S3A's
     * classes) serves them too: measured on bench names:100000, a -w dump under local-cluster[2,1,1024] took about
     * 2 s less CPU (12.6 -> 10.3 s).
     * Only passed when the archive exists and the executors run this very JVM (Spark launches
     * {@code $JAVA_HOME/bin/java} when JAVA_HOME is set, else this JVM's); {@code -Xshare:auto} makes a
     * class path the archive does not match cost only the speed, silently.
     */
    static String localExecutorJavaOptions(List<String> driverArgs, String javaHome, String javaHomeEnv) {
        String options = "-XX:TieredStopAtLevel=1";
        String archive = null;
        for (String a : driverArgs) {
            if (a.startsWith(SHARED_ARCHIVE)) {
                archive = a.substring(SHARED_ARCHIVE.length());
            }
        }
        if (archive == null || archive.isEmpty() || archive.contains(" ") || !Files.isRegularFile(Path.of(archive))
                || javaHome == null) {
            return options;
        }
        if (javaHomeEnv != null && !javaHomeEnv.isEmpty() && !samePath(javaHomeEnv, javaHome)) {
            return options;
        }
        return options + " -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off " + SHARED_ARCHIVE + archive;
    }

    private static final String SHARED_ARCHIVE = "-XX:SharedArchiveFile=";

    private static boolean samePath(String a, String b) {
        try {
            return Path.of(a).toRealPath().equals(Path.of(b).toRealPath());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** {@code local} or {@code local[...]}: executors are threads of the driver's JVM, in its working directory. */
    static boolean inDriverJvm(String master) {
        return master.equals("local") || master.startsWith("local[");
    }

    /** {@link #inDriverJvm} or {@code local-cluster[...]}: every executor runs on this machine. */
    static boolean onThisHost(String master) {
        return inDriverJvm(master) || master.startsWith("local-cluster[");
    }

    /** Hadoop configuration: core-site.xml from the conf directory, spark.hadoop.* and non-Spark --conf keys. */
    public static Configuration hadoopConf(SparkConf spark, Map<String, String> cli) {
        Configuration conf = new Configuration();
        Path dir = confDir();
        if (dir != null && Files.isRegularFile(dir.resolve("core-site.xml"))) {
            conf.addResource(new org.apache.hadoop.fs.Path(dir.resolve("core-site.xml").toUri()));
        }
        for (scala.Tuple2<String, String> kv : spark.getAll()) {
            if (kv._1().startsWith("spark.hadoop.")) {
                conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
            }
        }
        for (Map.Entry<String, String> e : cli.entrySet()) {
            if (!e.getKey().startsWith("spark.")) {
                conf.set(e.getKey(), e.getValue());
            }
        }
        if (conf.get(S3A_STREAM_TYPE) == null) {
            conf.set(S3A_STREAM_TYPE, S3A_CLASSIC_STREAM);
        }
        return conf;
    }

    /**
     * S3A's input stream, unless the user chose one. Our reads are vectored reads of ranges we sort and merge
     * ourselves, each byte read once ({@link io.sparkbtrfs.device.HadoopBlockSource}): the classic stream fetches
     * each merged range straight into our buffer. Hadoop 3.5's default, the analytics stream, passes every byte
     * through blocks of its own cache: on bench names:100000 ({@code -w} from S3, two executors) each executor
     * spent 0.8 s more CPU with it (2.7 times the GC time), and the dump took 1.46-1.51 times the local file's time
     * against 1.30-1.39 with the classic stream, for about the same requests (25 GETs against 30).
     */
    static final String S3A_STREAM_TYPE = "fs.s3a.input.stream.type";
    static final String S3A_CLASSIC_STREAM = "classic";

    public static JavaSparkContext start(SparkConf conf) {
        return new JavaSparkContext(conf);
    }

    private static Path confDir() {
        String d = System.getProperty(CONF_DIR_PROPERTY);
        return d == null || d.isEmpty() ? null : Path.of(d);
    }

    /** The jar this class was loaded from, for executors in other JVMs; null when running from classes. */
    private static String ownJar() {
        try {
            java.security.CodeSource cs = SparkSessions.class.getProtectionDomain().getCodeSource();
            if (cs == null) {
                return null;
            }
            Path p = Path.of(cs.getLocation().toURI());
            return Files.isRegularFile(p) && p.toString().endsWith(".jar") ? p.toString() : null;
        } catch (java.net.URISyntaxException | RuntimeException e) {
            return null;
        }
    }
}
