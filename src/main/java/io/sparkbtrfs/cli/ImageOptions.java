package io.sparkbtrfs.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

import io.sparkbtrfs.dump.RunnerChoice;
import io.sparkbtrfs.sanitize.SanitizeMode;

/**
 * The validated settings of one {@code btrfs-image} run, as produced by {@link OptionParser#parse(String[])}.
 * Immutable; lists and maps returned by the getters are unmodifiable.
 *
 * <p>Reference-compatible settings (see spec §6): {@link #getMode()}, {@link #getCompressLevel()},
 * {@link #getThreads()}, {@link #isOldRestore()}, {@link #getSanitize()}, {@link #isWalkTrees()},
 * {@link #isMultiDevice()}, {@link #isDumpData()}, {@link #getSource()}, {@link #getTarget()},
 * {@link #getExtraTargets()}. Settings of this implementation only: {@link #getMaster()},
 * {@link #getPartitions()}, {@link #getProgress()}, {@link #getSeed()}, {@link #getConf()}, {@link #getDevices()}.
 */
public final class ImageOptions {

    /** Default Spark master. */
    public static final String DEFAULT_MASTER = "local[*]";
    /** Highest zlib level accepted by {@code -c}. */
    public static final int MAX_COMPRESS_LEVEL = 9;
    /** Highest thread count accepted by {@code -t} (the reference's MAX_WORKER_THREADS). */
    public static final int MAX_THREADS = 32;

    /** Create (dump) an image from a filesystem, or restore an image onto a device/file. */
    public enum Mode {
        CREATE, RESTORE
    }

    /** Progress reporting on stderr. */
    public enum Progress {
        /** Default: report progress only when stderr is a terminal. */
        AUTO,
        /** {@code --progress}. */
        ON,
        /** {@code --no-progress}. */
        OFF;

        /** Whether progress should be shown, given whether stderr is a terminal. */
        public boolean enabled(boolean stderrIsTerminal) {
            return this == ON || (this == AUTO && stderrIsTerminal);
        }
    }

    private final Mode mode;
    private final int compressLevel;
    private final int threads;
    private final boolean oldRestore;
    private final SanitizeMode sanitize;
    private final boolean walkTrees;
    private final boolean multiDevice;
    private final boolean dumpData;
    private final String source;
    private final String target;
    private final List<String> extraTargets;
    private final String master;
    private final int partitions;
    private final Progress progress;
    private final OptionalLong seed;
    private final Map<String, String> conf;
    private final List<String> devices;
    private final boolean bestEffort;
    private final String report;
    private final int zstdLevel;
    private final boolean force;
    private final boolean masterGiven;
    private final RunnerChoice runner;

    private ImageOptions(Builder b) {
        this.mode = Objects.requireNonNull(b.mode, "mode");
        if (b.compressLevel < 0 || b.compressLevel > MAX_COMPRESS_LEVEL) {
            throw new IllegalArgumentException("compression level out of range: " + b.compressLevel);
        }
        if (b.threads < 0 || b.threads > MAX_THREADS) {
            throw new IllegalArgumentException("number of threads out of range: " + b.threads);
        }
        if (b.partitions < 0) {
            throw new IllegalArgumentException("negative number of partitions: " + b.partitions);
        }
        this.compressLevel = b.compressLevel;
        this.threads = b.threads;
        this.oldRestore = b.oldRestore;
        this.sanitize = Objects.requireNonNull(b.sanitize, "sanitize");
        this.walkTrees = b.walkTrees;
        this.multiDevice = b.multiDevice;
        this.dumpData = b.dumpData;
        this.source = Objects.requireNonNull(b.source, "source");
        this.target = Objects.requireNonNull(b.target, "target");
        this.extraTargets = List.copyOf(b.extraTargets);
        this.master = Objects.requireNonNull(b.master, "master");
        this.partitions = b.partitions;
        this.progress = Objects.requireNonNull(b.progress, "progress");
        this.seed = Objects.requireNonNull(b.seed, "seed");
        this.conf = Collections.unmodifiableMap(new LinkedHashMap<>(b.conf));
        this.devices = List.copyOf(b.devices);
        this.bestEffort = b.bestEffort;
        this.report = b.report;
        this.zstdLevel = b.zstdLevel;
        this.force = b.force;
        this.masterGiven = b.masterGiven;
        this.runner = Objects.requireNonNull(b.runner, "runner");
    }

    /** {@code --runner}: where the dump's parts run. */
    public RunnerChoice getRunner() {
        return runner;
    }

    /** Whether {@code --master} was given (even with the default's value). */
    public boolean isMasterGiven() {
        return masterGiven;
    }

    /** {@code --force}: restore onto a block device even if it is mounted or held by another device. */
    public boolean isForce() {
        return force;
    }

    /** {@code --compress zstd[:LEVEL]}: the zstd level of our own image flavour, 0 if not asked for. */
    public int getZstdLevel() {
        return zstdLevel;
    }

    /** {@code --best-effort}: dump what can be read of a damaged filesystem and report the rest. */
    public boolean isBestEffort() {
        return bestEffort;
    }

    /** {@code --report FILE}: where to write the best-effort report as JSON, or null. */
    public String getReport() {
        return report;
    }

    /** A builder with all defaults set except {@code source} and {@code target}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder initialised from this instance. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.mode = mode;
        b.compressLevel = compressLevel;
        b.threads = threads;
        b.oldRestore = oldRestore;
        b.sanitize = sanitize;
        b.walkTrees = walkTrees;
        b.multiDevice = multiDevice;
        b.dumpData = dumpData;
        b.source = source;
        b.target = target;
        b.extraTargets = new ArrayList<>(extraTargets);
        b.master = master;
        b.partitions = partitions;
        b.progress = progress;
        b.seed = seed;
        b.conf = new LinkedHashMap<>(conf);
        b.devices = new ArrayList<>(devices);
        return b;
    }

    /** CREATE (default) or RESTORE ({@code -r}, or implied by {@code -m}). */
    public Mode getMode() {
        return mode;
    }

    public boolean isCreate() {
        return mode == Mode.CREATE;
    }

    public boolean isRestore() {
        return mode == Mode.RESTORE;
    }

    /** {@code -c}: zlib level 0..9; 0 (default) means no compression. */
    public int getCompressLevel() {
        return compressLevel;
    }

    /** {@code -t}: worker threads 0..32; 0 (default) means automatic. */
    public int getThreads() {
        return threads;
    }

    /** {@code -o}: restore without touching the chunk tree (only valid with restore). */
    public boolean isOldRestore() {
        return oldRestore;
    }

    /** {@code -s} count mapped to a mode. */
    public SanitizeMode getSanitize() {
        return sanitize;
    }

    /** {@code -w}: walk all trees instead of using the extent tree. */
    public boolean isWalkTrees() {
        return walkTrees;
    }

    /** {@code -m}: restore onto multiple devices (implies restore). */
    public boolean isMultiDevice() {
        return multiDevice;
    }

    /** {@code -d}: also dump file data. Currently always false in parsed options (this build rejects -d). */
    public boolean isDumpData() {
        return dumpData;
    }

    /** First operand: the filesystem device (create) or the image (restore). */
    public String getSource() {
        return source;
    }

    /** Second operand: the image file, {@code -} for stdout (create), or the device/file (restore). */
    public String getTarget() {
        return target;
    }

    /**
     * Operands after the target: the further devices for {@code -m}. For create the reference accepts and ignores
     * extra operands; they are kept here as given.
     */
    public List<String> getExtraTargets() {
        return extraTargets;
    }

    /** The target followed by the extra targets. */
    public List<String> getAllTargets() {
        List<String> all = new ArrayList<>(1 + extraTargets.size());
        all.add(target);
        all.addAll(extraTargets);
        return Collections.unmodifiableList(all);
    }

    /** {@code --master}: the Spark master URL, default {@value #DEFAULT_MASTER}. */
    public String getMaster() {
        return master;
    }

    /** {@code --partitions}: number of Spark partitions; 0 (default) means automatic. */
    public int getPartitions() {
        return partitions;
    }

    /** {@code --progress}/{@code --no-progress}; default AUTO. */
    public Progress getProgress() {
        return progress;
    }

    /**
     * {@code --seed}: secret for sanitizing, as 64 bits (values above {@link Long#MAX_VALUE} are negative here,
     * i.e. unsigned two's complement); empty if not given.
     */
    public OptionalLong getSeed() {
        return seed;
    }

    /** {@code --conf KEY=VALUE}: Spark/Hadoop properties in first-given order (a repeated key keeps its last value). */
    public Map<String, String> getConf() {
        return conf;
    }

    /** {@code --device PATH}: further devices of a multi-device filesystem to read when creating, in given order. */
    public List<String> getDevices() {
        return devices;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ImageOptions)) {
            return false;
        }
        ImageOptions x = (ImageOptions) o;
        return mode == x.mode && compressLevel == x.compressLevel && threads == x.threads
                && oldRestore == x.oldRestore && sanitize == x.sanitize && walkTrees == x.walkTrees
                && multiDevice == x.multiDevice && dumpData == x.dumpData && source.equals(x.source)
                && target.equals(x.target) && extraTargets.equals(x.extraTargets) && master.equals(x.master)
                && partitions == x.partitions && progress == x.progress && seed.equals(x.seed)
                && conf.equals(x.conf) && new ArrayList<>(conf.keySet()).equals(new ArrayList<>(x.conf.keySet()))
                && devices.equals(x.devices) && bestEffort == x.bestEffort && Objects.equals(report, x.report)
                && zstdLevel == x.zstdLevel && force == x.force && masterGiven == x.masterGiven
                && runner == x.runner;
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, compressLevel, threads, oldRestore, sanitize, walkTrees, multiDevice, dumpData,
                source, target, extraTargets, master, partitions, progress, seed, conf, devices);
    }

    /** For logs; the seed is not shown (it is a secret). */
    @Override
    public String toString() {
        return "ImageOptions{mode=" + mode + ", compressLevel=" + compressLevel + ", threads=" + threads
                + ", oldRestore=" + oldRestore + ", sanitize=" + sanitize + ", walkTrees=" + walkTrees
                + ", multiDevice=" + multiDevice + ", dumpData=" + dumpData + ", source=" + source
                + ", target=" + target + ", extraTargets=" + extraTargets + ", master=" + master
                + ", partitions=" + partitions + ", progress=" + progress
                + ", seed=" + (seed.isPresent() ? "<set>" : "<none>") + ", conf=" + conf.keySet()
                + ", devices=" + devices + '}';
    }

    /**
     * Mutable builder; {@link #build()} checks only the ranges (not the reference's combination rules, which
     * {@link OptionParser} enforces).
     */
    public static final class Builder {
        private Mode mode = Mode.CREATE;
        private int compressLevel;
        private int threads;
        private boolean oldRestore;
        private SanitizeMode sanitize = SanitizeMode.NONE;
        private boolean walkTrees;
        private boolean multiDevice;
        private boolean dumpData;
        private String source;
        private String target;
        private List<String> extraTargets = new ArrayList<>();
        private String master = DEFAULT_MASTER;
        private int partitions;
        private Progress progress = Progress.AUTO;
        private OptionalLong seed = OptionalLong.empty();
        private Map<String, String> conf = new LinkedHashMap<>();
        private List<String> devices = new ArrayList<>();
        private boolean bestEffort;
        private String report;
        private int zstdLevel;
        private boolean force;
        private boolean masterGiven;
        private RunnerChoice runner = RunnerChoice.AUTO;

        public Builder runner(RunnerChoice v) {
            this.runner = v;
            return this;
        }

        public Builder force(boolean v) {
            this.force = v;
            return this;
        }

        public Builder zstdLevel(int v) {
            this.zstdLevel = v;
            return this;
        }

        public Builder bestEffort(boolean v) {
            this.bestEffort = v;
            return this;
        }

        public Builder report(String v) {
            this.report = v;
            return this;
        }

        private Builder() {
        }

        public Builder mode(Mode v) {
            mode = v;
            return this;
        }

        public Builder compressLevel(int v) {
            compressLevel = v;
            return this;
        }

        public Builder threads(int v) {
            threads = v;
            return this;
        }

        public Builder oldRestore(boolean v) {
            oldRestore = v;
            return this;
        }

        public Builder sanitize(SanitizeMode v) {
            sanitize = v;
            return this;
        }

        public Builder walkTrees(boolean v) {
            walkTrees = v;
            return this;
        }

        public Builder multiDevice(boolean v) {
            multiDevice = v;
            return this;
        }

        public Builder dumpData(boolean v) {
            dumpData = v;
            return this;
        }

        public Builder source(String v) {
            source = v;
            return this;
        }

        public Builder target(String v) {
            target = v;
            return this;
        }

        public Builder extraTargets(List<String> v) {
            extraTargets = new ArrayList<>(v);
            return this;
        }

        public Builder master(String v) {
            master = v;
            masterGiven = true;
            return this;
        }

        public Builder partitions(int v) {
            partitions = v;
            return this;
        }

        public Builder progress(Progress v) {
            progress = v;
            return this;
        }

        public Builder seed(OptionalLong v) {
            seed = v;
            return this;
        }

        public Builder seed(long v) {
            seed = OptionalLong.of(v);
            return this;
        }

        /** Sets one property; a repeated key keeps its first position and gets the new value. */
        public Builder conf(String key, String value) {
            conf.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        public Builder conf(Map<String, String> v) {
            conf = new LinkedHashMap<>(v);
            return this;
        }

        public Builder addDevice(String v) {
            devices.add(Objects.requireNonNull(v, "device"));
            return this;
        }

        public Builder devices(List<String> v) {
            devices = new ArrayList<>(v);
            return this;
        }

        public ImageOptions build() {
            return new ImageOptions(this);
        }
    }
}
