package io.sparkbtrfs.dump;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Supplier;

import org.apache.hadoop.conf.Configuration;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.BlockSources;
import io.sparkbtrfs.device.MountTable;
import io.sparkbtrfs.device.ReadCounts;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.sanitize.NameSanitizer;
import io.sparkbtrfs.sanitize.SanitizeMode;
import io.sparkbtrfs.store.FileIdentity;
import io.sparkbtrfs.store.FileKinds;
import io.sparkbtrfs.store.FilesystemMember;
import io.sparkbtrfs.store.ImageOutput;
import io.sparkbtrfs.store.OutputFile;
import io.sparkbtrfs.store.Umask;

/**
 * The dump's front door, beside {@code Restorer}: opens the volume, plans, runs the plan's parts through the
 * {@link Execution}'s runner, checks, and commits the image under the output contract ({@link OutputFile}).
 * Everything the user sees goes through {@link DumpException} messages, the warnings on {@code err} and the
 * returned {@link Result}; the command line only parses and prints.
 */
public final class Dumper {
    /**
     * What to dump, where, and how; built once from the command line. {@code devices} begin with the source.
     * {@code settings} hold no name transform: when they sanitize, the dump builds it from the volume ({@code -ss}
     * reads key boundaries) and the secret {@code seed} (empty: a random one, as the reference's).
     */
    public record Request(List<String> devices, String target, boolean walkTrees, DumpSettings settings,
            OptionalLong seed, int parts, String report, String stagingOverride, boolean progress,
            String incremental) {
        /** A full dump (no base image). */
        public Request(List<String> devices, String target, boolean walkTrees, DumpSettings settings,
                OptionalLong seed, int parts, String report, String stagingOverride, boolean progress) {
            this(devices, target, walkTrees, settings, seed, parts, report, stagingOverride, progress, null);
        }

        public Request {
            devices = List.copyOf(devices);
            if (devices.isEmpty()) {
                throw new IllegalArgumentException("no source");
            }
        }

        /** The source as named (the first device). */
        public String source() {
            return devices.get(0);
        }

        public boolean bestEffort() {
            return settings.bestEffort();
        }

        Request withDevices(List<String> names) {
            return new Request(names, target, walkTrees, settings, seed, parts, report, stagingOverride, progress,
                    incremental);
        }
    }

    /**
     * What a successful dump did: the figures, the blocks a best-effort dump could not read, the runner, for a
     * delta its header and the blocks its pruned walk read (else null and 0), and what reading the source cost
     * the driver (open, plan; null where the source is local).
     */
    public record Result(DumpSummary summary, Collection<BlockProblem> problems, String runner,
            io.sparkbtrfs.image.DeltaHeader delta, long walkBlocksRead, long planBlocksRead, long blocksRead,
            ReadCounts driverReads, ReadCounts scanReads, String planHow, String walkHow) {
        public Result(DumpSummary summary, Collection<BlockProblem> problems, String runner) {
            this(summary, problems, runner, null, 0, 0, 0, null, ReadCounts.NONE, null, null);
        }
    }

    /** A failure explained by its message alone (one {@code ERROR:} line). */
    public static final class DumpException extends Exception {
        private static final long serialVersionUID = 1L;

        public DumpException(String message) {
            super(message, null, false, false);
        }
    }

    private final Execution execution;
    private final Supplier<Configuration> hadoop;
    private final PrintStream err;
    private final Timings timings;
    private final Runnable onCommitted;

    /**
     * @param hadoop asked only where a source or the target is not a local file
     * @param err warnings and the progress line
     * @param onCommitted called as soon as the image is in place
     */
    public Dumper(Execution execution, Supplier<Configuration> hadoop, PrintStream err, Timings timings,
            Runnable onCommitted) {
        this.execution = execution;
        this.hadoop = hadoop;
        this.err = err;
        this.timings = timings;
        this.onCommitted = onCommitted;
    }

    public Result dump(Request request) throws DumpException {
        Request r = request.withDevices(execution.deviceNames(request.devices()));
        warnIfMounted(r.source());
        List<OutputFile.Guarded> guarded = new ArrayList<>();
        for (String d : r.devices()) {
            guarded.add(new OutputFile.Guarded(d.equals(r.source()) ? "the source" : "a device of the source", d));
        }
        int mode = OutputFile.imageModeFor(r.devices());
        Configuration sourceConf = r.devices().stream().anyMatch(BlockSources::isUri) ? hadoop.get() : null;
        Volume volume = open(r, sourceConf);
        timings.mark("open");
        SourceWatch watch = SourceWatch.of(r.source(), volume, sourceConf, r.bestEffort(), err);
        ImageOutput output = null;
        OutputFile report = null;
        try (Volume v = volume) {
            OutputFile.refuseGuarded(r.target(), guarded); // the more precise word first
            FilesystemMember.refuse(r.target(), v.superblock().fsid());
            output = prepare(r, mode, guarded);
            output.beforeCommit(watch::beforeCommit);
            if (r.report() != null) {
                List<OutputFile.Guarded> notReport = new ArrayList<>(guarded);
                notReport.add(new OutputFile.Guarded("the image's target", r.target()));
                OutputFile.refuseGuarded(r.report(), notReport);
                FilesystemMember.refuse(r.report(), v.superblock().fsid());
                report = OutputFile.create(r.report(), hadoop, Umask.imageMode(mode), notReport, false);
            }
            // -ss reads the internal nodes of the named trees for their key boundaries: meanwhile, planning.
            java.util.concurrent.CompletableFuture<LeafItemTransform> transform = transform(r, v);
            io.sparkbtrfs.store.ImageFiles baseFiles = new io.sparkbtrfs.store.ImageFiles(hadoop);
            io.sparkbtrfs.image.ImageHead base = r.incremental() == null ? null
                    : Incremental.base(r.incremental(), baseFiles, v.superblock(), r.settings().sanitize(), r.seed());
            List<BlockProblem> planProblems = new ArrayList<>();
            ExtentScan.Scanner scanner = execution.scanner(v);
            Planner.Planned planned = base == null ? null : planDelta(r, v, base, scanner);
            ItemPlan plan = planned == null ? plan(r, v, planProblems, scanner) : planned.plan();
            ReadCounts scanReads = scanner.otherJvmReads();
            timings.mark("plan");
            long planRead = v.treeBlocksRead();
            DumpSettings settings = r.settings().withTransform(join(transform));
            timings.mark("sanitizing keys");
            Incremental.Delta delta = null;
            long walkRead = 0;
            String walkHow = null;
            if (base != null) {
                if (Incremental.sameTreatment(r.incremental(), baseFiles, v, settings, base.generation(), plan) == 0
                        && !base.isDelta()) {
                    err.println("WARNING: none of the first blocks of base image " + r.incremental() + " is unchanged "
                            + "in the source: whether it was made with the same sanitizing options is not checked");
                }
                timings.mark("base check");
                ChangedBlocks.Spreader spreader = execution.spreader(v);
                ChangedBlocks.Found found = changed(r, v, base.generation(), plan, spreader);
                walkRead = found.blocksRead();
                walkHow = found.how();
                timings.note("pruned walk", found.how());
                if (spreader != null && spreader.otherJvmReads().requests() > 0) {
                    timings.note("pruned walk reads on executors", spreader.otherJvmReads().requests()
                            + " requests " + spreader.otherJvmReads().bytes() + " bytes");
                }
                delta = Incremental.plan(plan, found.carried(), found.unreadLeaves(), planned.listedItems(), base,
                        v.superblock(), r.walkTrees(), settings, r.seed());
                plan = delta.plan();
                settings = settings.forDelta(settings.codec() instanceof Codec.Zstd z ? z.level()
                        : Incremental.DEFAULT_DELTA_LEVEL);
                timings.mark("pruned walk");
            }
            ReadCounts driverReads = v.readCounts();
            timings.note("driver reads", driverReads.requests() + " requests " + driverReads.bytes() + " bytes "
                    + v.treeBlocksRead() + " tree blocks");
            if (scanReads.requests() > 0) {
                timings.note("extent scan reads on executors", scanReads.requests() + " requests " + scanReads.bytes()
                        + " bytes");
            }
            PartRunner runner = execution.runner(plan);
            timings.note("runner", runner.describe());
            ProgressMeter meter = r.progress() ? new ProgressMeter(err,
                    plan.metadataBlocks(v.superblock().nodesize()), plan.contentBytes(0, plan.clusters())) : null;
            DumpSummary summary;
            try {
                summary = runner.write(v, plan, settings, r.parts(), output, meter);
            } finally {
                if (meter != null) {
                    meter.finish();
                }
            }
            TreeMap<Long, BlockProblem> problems = problems(planProblems, summary.problems());
            if (report != null) {
                // A side output is complete before the image is: a report that cannot be written means no image.
                writeReport(report, r, problems.values());
            }
            try {
                output.commit();
            } catch (IOException e) {
                if (report != null) {
                    deleteQuietly(r.report());
                }
                throw e;
            }
            onCommitted.run();
            timings.mark("write and merge");
            timings.note("tree blocks read by this JVM", v.treeBlocksRead());
            timings.note("part reads", summary.reads().requests() + " requests " + summary.reads().bytes() + " bytes");
            return new Result(summary, problems.values(), runner.describe(), delta == null ? null : delta.header(),
                    walkRead, planRead, v.treeBlocksRead(), v.prefersBatches() ? driverReads : null, scanReads,
                    planned == null ? null : planned.how(), walkHow);
        } catch (IOException e) {
            throw new DumpException(watch.explainOr(e, describe(e)));
        } catch (RuntimeException e) {
            String changed = watch.explain(e); // a block overwritten under us fails like a damaged one
            if (changed != null) {
                throw new DumpException(changed);
            }
            if (e instanceof java.io.UncheckedIOException u) { // a runner that could not start
                throw new DumpException(describe(u.getCause()));
            }
            throw e;
        } finally {
            if (report != null) {
                report.close();
            }
            if (output != null) {
                output.close();
            }
        }
    }

    private static java.util.concurrent.CompletableFuture<LeafItemTransform> transform(Request r, Volume v) {
        SanitizeMode mode = r.settings().sanitize();
        if (!mode.sanitizes()) {
            return java.util.concurrent.CompletableFuture.completedFuture(LeafItemTransform.NONE);
        }
        long secret = r.seed().orElseGet(() -> new SecureRandom().nextLong());
        Superblock sb = v.superblock();
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> NameSanitizer.forDump(
                mode == SanitizeMode.COLLISIONS, secret, boundaryReader(v), sb.nodesize(), sb.root(), sb.rootLevel(),
                sb.logRoot(), sb.logRootLevel()));
    }

    /** The volume's batched tree-block reads (a vectored request per tree level from a remote source). */
    private static io.sparkbtrfs.sanitize.BoundaryScan.Reader boundaryReader(Volume v) {
        return (addresses, sink) -> {
            try {
                v.readTreeBlocks(addresses, (i, block, failure) -> sink.block(i, block));
            } catch (BtrfsFormatException e) {
                throw new IOException(e.getMessage(), e);
            }
        };
    }

    private static LeafItemTransform join(java.util.concurrent.CompletableFuture<LeafItemTransform> f)
            throws IOException {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof java.io.UncheckedIOException u) {
                throw u.getCause();
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(c.getMessage(), c);
        }
    }

    private Volume open(Request r, Configuration conf) throws DumpException {
        try {
            List<String> repairs = r.bestEffort() ? new ArrayList<>() : null;
            Volume volume = Volume.open(r.devices(), conf, repairs);
            if (repairs != null) {
                for (String repair : repairs) {
                    err.println("WARNING: " + repair);
                }
            }
            return volume;
        } catch (BtrfsFormatException e) {
            throw new DumpException(e.getMessage() + (r.devices().size() == 1 ? FileKinds.imageHint(r.source()) : ""));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DumpException("cannot open " + e.getFile() + ": no such file or device");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new DumpException("cannot open " + e.getFile() + ": permission denied");
        } catch (IOException e) {
            throw new DumpException("cannot read " + r.source() + ": " + describe(e));
        }
    }

    private ImageOutput prepare(Request r, int mode, List<OutputFile.Guarded> guarded) throws IOException {
        try {
            return ImageOutput.prepare(r.target(), hadoop, r.stagingOverride(), mode, guarded, false);
        } catch (IOException e) {
            // Hadoop's messages (connection refused, unknown host, ...) do not say which target they are about.
            String m = describe(e);
            if (m.contains(r.target())) {
                throw e;
            }
            throw new IOException("unable to create target file " + r.target() + ": " + m, e);
        }
    }

    private ItemPlan plan(Request r, Volume v, List<BlockProblem> problems, ExtentScan.Scanner scanner)
            throws DumpException {
        try {
            return r.bestEffort() ? Planner.planBestEffort(v, r.walkTrees(), problems, scanner)
                    : Planner.plan(v, r.walkTrees(), scanner);
        } catch (BtrfsFormatException | BlockReadException e) {
            throw new DumpException(r.source() + ": " + e.getMessage());
        }
    }

    /** A delta's full plan: the base's listed blocks amended where the base carries them, else scanned. */
    private Planner.Planned planDelta(Request r, Volume v, io.sparkbtrfs.image.ImageHead base,
            ExtentScan.Scanner scanner) throws DumpException {
        long[] listed = Incremental.listedBlocks(base, v.superblock().nodesize());
        try {
            Planner.Planned p = Planner.planned(v, r.walkTrees(), scanner, listed, base.generation());
            if (listed == null && !r.walkTrees()) {
                p = new Planner.Planned(p.plan(), p.listedItems(), p.how() + " (" + (base.isDelta()
                        ? "the base delta carries no plan to amend: made with -w or by an earlier version, or its"
                                + " extent tree had overlapping extent items"
                        : "the base is a full image, which carries no plan to amend") + ")");
            }
            return p;
        } catch (BtrfsFormatException | BlockReadException e) {
            throw new DumpException(r.source() + ": " + e.getMessage());
        }
    }

    private static ChangedBlocks.Found changed(Request r, Volume v, long baseGeneration, ItemPlan full,
            ChangedBlocks.Spreader spreader) throws DumpException {
        try {
            return spreader == null ? ChangedBlocks.since(v, baseGeneration, full)
                    : ChangedBlocks.since(v, baseGeneration, full, spreader);
        } catch (BtrfsFormatException | BlockReadException e) {
            throw new DumpException(r.source() + ": " + e.getMessage());
        }
    }

    /** Every block a best-effort dump could not read or validate, by address. */
    private static TreeMap<Long, BlockProblem> problems(List<BlockProblem> planned, List<BlockProblem> written) {
        TreeMap<Long, BlockProblem> byBlock = new TreeMap<>(Long::compareUnsigned);
        for (BlockProblem p : planned) {
            byBlock.putIfAbsent(p.logical(), p);
        }
        for (BlockProblem p : written) {
            byBlock.putIfAbsent(p.logical(), p);
        }
        return byBlock;
    }

    /** {@code --report}: the problems as JSON, written and committed before the image is. */
    private static void writeReport(OutputFile report, Request r, Collection<BlockProblem> problems)
            throws IOException {
        StringBuilder json = new StringBuilder("{\"source\":").append(BlockProblem.quote(r.source()))
                .append(",\"image\":").append(BlockProblem.quote(r.target())).append(",\"problems\":[");
        boolean first = true;
        for (BlockProblem p : problems) {
            json.append(first ? "" : ",").append(p.json());
            first = false;
        }
        json.append("]}\n");
        try (java.io.OutputStream out = report.openStream()) {
            out.write(json.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IOException("cannot write report " + r.report() + ": " + describe(e), e);
        }
        report.commit();
    }

    private static void deleteQuietly(String spec) {
        Path p = FileIdentity.localPath(spec);
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // the report of a run that failed; it says what it says
            }
        }
    }

    /** As the reference warns, also for the backing file of a mounted loop device. */
    private void warnIfMounted(String source) {
        if (BlockSources.isUri(source)) {
            return;
        }
        try {
            MountTable.read().find(Path.of(source)).ifPresent(m -> err.println("WARNING: " + source
                    + " already mounted (" + m.describe() + "), results may be inaccurate"));
        } catch (java.nio.file.NoSuchFileException e) {
            // opening it says so
        } catch (IOException | RuntimeException e) {
            err.println("WARNING: unable to check mount status of: " + source);
        }
    }

    /** One line: Hadoop's network errors end in "; For more details see: http://wiki...", which is cut. */
    static String describe(IOException e) {
        String m = e.getMessage();
        if (m == null) {
            return e.getClass().getSimpleName();
        }
        int more = m.indexOf("; For more details see:");
        return more >= 0 ? m.substring(0, more) : m;
    }
}
