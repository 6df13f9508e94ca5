package io.sparkbtrfs.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Assumptions;

/**
 * The reference btrfs-progs binaries ({@code btrfs-image}, {@code btrfs check}, {@code btrfs inspect-internal}),
 * each run with a timeout ({@link #timeout}) after which the process is killed.
 */
public final class RefTool {

    private static volatile Duration timeout = Duration.ofMinutes(3);

    private RefTool() {}

    /** Timeout applied to every reference tool run (default 3 minutes). */
    public static void timeout(Duration t) {
        timeout = t;
    }

    public static Duration timeout() {
        return timeout;
    }

    /** Null if btrfs-image and btrfs are runnable, otherwise why not. */
    public static String unavailableReason() {
        for (String exe : List.of("btrfs-image", "btrfs", "mkfs.btrfs")) {
            if (!Proc.onPath(exe)) return exe + " not found on PATH";
        }
        return null;
    }

    /** JUnit assumption: skips the calling test unless the reference binaries exist. */
    public static void assumeAvailable() {
        String why = unavailableReason();
        Assumptions.assumeTrue(why == null, () -> "btrfs-progs unavailable: " + why);
    }

    /** {@code btrfs-image OPTS src out} (dump). Result carries exit code, stdout and stderr. */
    public static Proc.Result dump(Path src, Path out, String... opts) {
        List<String> cmd = new ArrayList<>(List.of("btrfs-image"));
        cmd.addAll(List.of(opts));
        cmd.add(src.toString());
        cmd.add(out.toString());
        return Proc.run(cmd, timeout);
    }

    /** {@code btrfs-image -r OPTS img out} (restore; e.g. opts "-o" or "-m"). */
    public static Proc.Result restore(Path img, Path out, String... opts) {
        List<String> cmd = new ArrayList<>(List.of("btrfs-image", "-r"));
        cmd.addAll(List.of(opts));
        cmd.add(img.toString());
        cmd.add(out.toString());
        return Proc.run(cmd, timeout);
    }

    /**
     * {@code btrfs check --readonly EXTRA dev}; {@link Proc.Result#output()} is stdout+stderr (btrfs check 6.2
     * prints the summary and errors on stdout, the "[n/7] checking ..." progress lines on stderr).
     */
    public static Proc.Result check(Path dev, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("btrfs", "check", "--readonly"));
        cmd.addAll(List.of(extra));
        cmd.add(dev.toString());
        return Proc.run(cmd, timeout);
    }

    /** {@code btrfs inspect-internal dump-tree ARGS dev}, e.g. {@code dumpTree(img, "-t", "5")}. */
    public static Proc.Result dumpTree(Path dev, String... args) {
        List<String> cmd = new ArrayList<>(List.of("btrfs", "inspect-internal", "dump-tree"));
        cmd.addAll(List.of(args));
        cmd.add(dev.toString());
        return Proc.run(cmd, timeout);
    }

    /** {@code btrfs inspect-internal dump-super ARGS dev}, e.g. {@code "-f"} or {@code "-s", "1"}. */
    public static Proc.Result dumpSuper(Path dev, String... args) {
        List<String> cmd = new ArrayList<>(List.of("btrfs", "inspect-internal", "dump-super"));
        cmd.addAll(List.of(args));
        cmd.add(dev.toString());
        return Proc.run(cmd, timeout);
    }

    /**
     * The primary superblock's top-level fields ({@code dump-super} lines "key&lt;TAB&gt;value"), e.g.
     * {@code log_root}, {@code root_level}, {@code num_devices}, {@code nodesize}, {@code csum_type}
     * ("0 (crc32c)"), {@code label}, {@code dev_item.devid}. Continuation lines (flag names) are skipped.
     *
     * @throws Proc.ProcException if dump-super fails
     */
    public static Map<String, String> superFields(Path dev) {
        return parseSuper(dumpSuper(dev).requireOk().stdout());
    }

    public static Map<String, String> parseSuper(String out) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            if (line.isEmpty() || line.startsWith("\t") || line.startsWith(" ")) continue;
            int tab = line.indexOf('\t');
            if (tab <= 0) continue;
            m.putIfAbsent(line.substring(0, tab).strip(), line.substring(tab).strip());
        }
        return m;
    }

    private static final Pattern NODE_HEADER =
            Pattern.compile("^(node|leaf) (\\d+) (?:level (\\d+) )?items (\\d+)", Pattern.MULTILINE);

    /**
     * Highest node level printed in {@code dump-tree} output (its first header is the tree root). Leaves count as
     * level 0. Returns -1 if no node header is found.
     */
    public static int maxLevel(String dumpTreeOutput) {
        Matcher mt = NODE_HEADER.matcher(dumpTreeOutput);
        int max = -1;
        while (mt.find()) {
            int level = mt.group(1).equals("leaf") ? 0 : Integer.parseInt(mt.group(3));
            max = Math.max(max, level);
        }
        return max;
    }

    /**
     * Logical address of the root of tree {@code key} (as dump-tree names it: {@code FS_TREE},
     * {@code EXTENT_TREE}, ...), from its ROOT_ITEM in the root tree.
     */
    public static long rootOf(Path fs, String key) {
        String out = dumpTree(fs, "-t", "root").requireOk().stdout();
        Matcher m = Pattern.compile("key \\(" + key + " ROOT_ITEM 0\\).*\\n.*? bytenr (\\d+) ").matcher(out);
        if (!m.find()) {
            throw new AssertionError("no " + key + " ROOT_ITEM in:\n" + out);
        }
        return Long.parseLong(m.group(1));
    }

    private static final Pattern MIRROR = Pattern.compile("^mirror (\\d+) logical (\\d+) physical (\\d+) device ",
            Pattern.MULTILINE);

    /** Physical offsets of every copy of {@code logical}, in mirror order ({@code btrfs-map-logical}). */
    public static List<Long> physicalCopies(Path fs, long logical) {
        Proc.Result r = Proc.run(List.of("btrfs-map-logical", "-l", Long.toString(logical), fs.toString()), timeout)
                .requireOk();
        List<Long> out = new ArrayList<>();
        Matcher m = MIRROR.matcher(r.stdout());
        while (m.find()) {
            if (Integer.parseInt(m.group(1)) != out.size() + 1 || Long.parseLong(m.group(2)) != logical) {
                throw new AssertionError("unexpected btrfs-map-logical output: " + r.describe());
            }
            out.add(Long.parseLong(m.group(3)));
        }
        if (out.isEmpty()) {
            throw new AssertionError("btrfs-map-logical found no copy: " + r.describe());
        }
        return out;
    }

    /** Number of lines of {@code dump-tree} output containing {@code needle} (e.g. "INODE_EXTREF"). */
    public static int countLines(String output, String needle) {
        int n = 0;
        for (String line : output.split("\n")) if (line.contains(needle)) n++;
        return n;
    }
}
