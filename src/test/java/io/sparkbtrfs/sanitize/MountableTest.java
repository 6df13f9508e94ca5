package io.sparkbtrfs.sanitize;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.format.TreeBlock;
import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/**
 * Issue 14: {@code -ss} images that a developer can check and mount. Kernel-written filesystems full of names of
 * 1..4 bytes ({@link ShortNameFixtures}: every 1- and 2-byte printable name in one directory, short names over a
 * directory of 140 leaves, short xattr names over several leaves, short subvolume and snapshot names, a log tree
 * of short names; an aged filesystem), and the canary filesystems: dumped with {@code -ss}, restored by the
 * reference {@code btrfs-image -r}, then
 * <ul>
 *   <li>{@code btrfs check} reports no error at all;</li>
 *   <li>the kernel mounts a copy read-only (replaying the log tree, if any), {@code find} lists as many paths as on
 *       the original, {@code getfattr -d} succeeds on every one, and the kernel logs no error for the device
 *       (tree-checker included);</li>
 *   <li>the summary line reports the entries re-keyed, and none left with a mismatched hash;</li>
 *   <li>no name is left where it was (every entry of every length, matched by what identifies it: index,
 *       parent, location), no original name of 6 bytes or more occurs anywhere in the image, and no substitute
 *       holds NUL, '/' or a control byte that the original did not hold.</li>
 * </ul>
 */
class MountableTest {
    private static final String[] SS = {"-ss", "-c", "9", "--seed", "7"};
    private static final Pattern SHORT_SUMMARY = Pattern.compile("short names \\(4 bytes or less\\): (\\d+) entries "
            + "re-keyed, (\\d+) not");
    private static final Pattern KERNEL_PROBLEM = Pattern.compile("(?i)corrupt|critical|error|tree.checker|mismatch"
            + "|invalid|bad ");
    private static final Duration SLOW = Duration.ofMinutes(5);

    private static Path source(String fixture) {
        return switch (fixture) {
            case "short" -> ShortNameFixtures.shortNames().image();
            case "short-log" -> ShortNameFixtures.shortNames().logTreeImage();
            case "aged" -> ShortNameFixtures.aged();
            case "canary" -> SanitizeFixtures.canary();
            case "canary-log" -> SanitizeFixtures.canaryLog();
            default -> throw new IllegalArgumentException(fixture);
        };
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"short", "short-log", "aged", "canary", "canary-log"})
    void checksAndMounts(String fixture) throws IOException {
        Path src = source(fixture);
        Path img = SanitizeFixtures.image(src, SS);
        Matcher m = SHORT_SUMMARY.matcher(SanitizeFixtures.stderr(img));
        assertTrue(m.find(), SanitizeFixtures.stderr(img));
        System.out.printf("%s: %s%n", fixture, SanitizeFixtures.stderr(img).lines()
                .filter(l -> l.startsWith("sanitized")).findFirst().orElse(""));
        assertTrue(Long.parseLong(m.group(1)) > 0, "nothing re-keyed: " + m.group());
        assertEquals(0, Long.parseLong(m.group(2)), "entries left with a mismatched hash: " + m.group());

        Path restored = SanitizeFixtures.restored(img);
        Proc.Result check = RefTool.check(restored);
        assertFalse(check.timedOut(), check.describe());
        assertEquals(0, check.exitCode(), check.describe());
        assertTrue(check.stdout().contains("no error found"), check.describe());
        assertFalse(check.output().contains("ERROR"), check.describe());

        Mounted original = mountCopy(src, fixture + "-orig");
        Mounted sanitized = mountCopy(restored, fixture + "-ss");
        assertEquals(original.paths(), sanitized.paths(), "paths listed by find");
        assertTrue(original.paths() > 100, "only " + original.paths() + " paths");
        assertEquals(List.of(), sanitized.kernelProblems(), "kernel log while mounted");
        assertEquals("", sanitized.getfattrErrors(), "getfattr -d on every path");
    }

    /** What a read-only mount of a copy of an image showed. */
    private record Mounted(long paths, String getfattrErrors, List<String> kernelProblems) {
    }

    private static Mounted mountCopy(Path image, String name) throws IOException {
        Path copy = SanitizeFixtures.dir().resolve(name + ".mount.img");
        Proc.run(List.of("cp", "--sparse=always", image.toString(), copy.toString()), SLOW).requireOk();
        try {
            long paths;
            String getfattr;
            List<String> before;
            List<String> problems;
            String device;
            try (KernelFs.Mounted fs = KernelFs.mount(copy, SanitizeFixtures.dir().resolve(name + "-mnt"), "ro")) {
                device = fs.loopDevice().replace("/dev/", "");
                before = kernelLines(device);
                Proc.Result find = Proc.run(List.of("find", fs.mountpoint().toString(), "-print0"), SLOW).requireOk();
                paths = find.stdout().chars().filter(c -> c == 0).count();
                Proc.Result attrs = Proc.run(List.of("getfattr", "-R", "-P", "-h", "-d", "-m", "-", "--absolute-names",
                        fs.mountpoint().toString()), SLOW);
                getfattr = attrs.ok() ? attrs.stderr() : attrs.describe();
                List<String> after = kernelLines(device);
                problems = new ArrayList<>(after.subList(Math.min(before.size(), after.size()), after.size()));
            }
            problems.removeIf(l -> !KERNEL_PROBLEM.matcher(l).find());
            return new Mounted(paths, getfattr.strip(), problems);
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    /** The kernel log lines about {@code device} (as "(device loopN)"). */
    private static List<String> kernelLines(String device) {
        Proc.Result dmesg = Proc.run(List.of("dmesg", "--notime"), Duration.ofSeconds(30)).requireOk();
        return dmesg.stdout().lines().filter(l -> l.contains("(device " + device + ")")).toList();
    }

    // ------------------------------------------------------------------------------------------ names

    private static final int SUPERBLOCK = 65536;

    /** Entries by what identifies them across sanitizing (which re-keys and re-sorts): their names. */
    private static Map<String, List<byte[]>> entriesByIdentity(Path img, int nodesize) throws IOException {
        Map<String, List<byte[]>> out = new HashMap<>();
        for (SanitizeFixtures.Item it : SanitizeFixtures.items(img)) {
            if (it.bytenr() == SUPERBLOCK) {
                continue;
            }
            byte[] c = it.content();
            Leaves.forEachLeaf(it.bytenr(), c, nodesize, (off, n) -> {
                for (int slot = 0; slot < n; slot++) {
                    if (!TreeBlock.itemInBounds(c, off, nodesize, slot, n)) {
                        continue;
                    }
                    int type = TreeBlock.itemType(c, off, slot);
                    long keyOffset = TreeBlock.itemKeyOffset(c, off, slot);
                    String block = (it.bytenr() + off) + "/" + TreeBlock.owner(c, off) + "/" + type + "/"
                            + TreeBlock.itemObjectid(c, off, slot) + "/";
                    for (Leaves.Entry e : Leaves.entries(c, type, TreeBlock.itemDataStart(c, off, slot),
                            (int) TreeBlock.itemSize(c, off, slot))) {
                        String id = switch (type) {
                            case Leaves.DIR_ITEM -> block + LittleEndian.u64(c, e.name() - 30);
                            case Leaves.DIR_INDEX, Leaves.ROOT_REF, Leaves.ROOT_BACKREF -> block + keyOffset;
                            case Leaves.INODE_REF -> block + keyOffset + "/" + LittleEndian.u64(c, e.name() - 10);
                            case Leaves.INODE_EXTREF -> block + LittleEndian.u64(c, e.name() - 18) + "/"
                                    + LittleEndian.u64(c, e.name() - 10);
                            default -> null; // xattrs: nothing but the name tells them apart
                        };
                        if (id != null) {
                            out.computeIfAbsent(id, k -> new ArrayList<>()).add(e.name(c));
                        }
                    }
                }
            });
        }
        return out;
    }

    private static boolean hasControlOrSlash(byte[] name) {
        for (byte c : name) {
            if (c == 0 || c == '/' || (c > 0 && c < 0x20) || c == 0x7F) {
                return true;
            }
        }
        return false;
    }

    private static String show(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1).replace("\t", "\\t").replace("\n", "\\n");
    }

    private static boolean kept(byte[] name) {
        String s = new String(name, StandardCharsets.ISO_8859_1);
        return s.equals(".") || s.equals("..") || s.equals("default");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"short", "short-log", "aged", "canary", "canary-log"})
    void noNameStaysAndNoSubstituteHasControlBytes(String fixture) throws IOException {
        Path src = source(fixture);
        int nodesize = Integer.parseInt(RefTool.superFields(src).get("nodesize"));
        Map<String, List<byte[]>> plain = entriesByIdentity(SanitizeFixtures.image(src, "-c", "9"), nodesize);
        Path img = SanitizeFixtures.image(src, SS);
        Map<String, List<byte[]>> ss = entriesByIdentity(img, nodesize);
        assertEquals(plain.keySet(), ss.keySet(), "entries (by identity) before and after -ss");
        List<String> stayed = new ArrayList<>();
        List<String> control = new ArrayList<>();
        Set<Integer> lengths = new HashSet<>();
        Map<Long, List<byte[]>> longNames = new HashMap<>();
        int entries = 0;
        for (var e : plain.entrySet()) {
            List<byte[]> after = ss.get(e.getKey());
            assertEquals(e.getValue().size(), after.size(), e.getKey());
            boolean originalControl = e.getValue().stream().anyMatch(MountableTest::hasControlOrSlash);
            for (byte[] name : e.getValue()) {
                if (kept(name)) {
                    continue;
                }
                entries++;
                lengths.add(name.length);
                if (after.stream().anyMatch(a -> java.util.Arrays.equals(a, name))) {
                    stayed.add(e.getKey() + ": " + show(name));
                }
                if (name.length >= 6) {
                    longNames.computeIfAbsent(LittleEndian.u32(name, 0) << 16 | LittleEndian.u16(name, 4),
                            k -> new ArrayList<>()).add(name);
                }
            }
            for (byte[] a : after) {
                if (!originalControl && hasControlOrSlash(a)) {
                    control.add(e.getKey() + ": " + show(a));
                }
            }
        }
        System.out.printf("%s: %d entries, names of %d lengths%n", fixture, entries, lengths.size());
        assertTrue(entries > 100, "only " + entries + " entries");
        assertEquals(List.of(), stayed.subList(0, Math.min(20, stayed.size())), stayed.size() + " names stayed");
        assertEquals(List.of(), control.subList(0, Math.min(20, control.size())),
                control.size() + " substitutes with NUL, '/' or a control byte");
        if (fixture.startsWith("canary")) {
            for (int len = 1; len <= 255; len++) {
                assertTrue(lengths.contains(len), "the canary has no name of " + len + " bytes");
            }
        }
        // names of 6 bytes or more are distinctive enough to look for anywhere (shorter ones occur by chance)
        List<String> found = new ArrayList<>();
        for (SanitizeFixtures.Item it : SanitizeFixtures.items(img)) {
            byte[] c = it.content();
            for (int i = 0; i + 6 <= c.length && found.size() < 20; i++) {
                List<byte[]> cands = longNames.get(LittleEndian.u32(c, i) << 16 | LittleEndian.u16(c, i + 4));
                if (cands == null) {
                    continue;
                }
                for (byte[] n : cands) {
                    if (i + n.length <= c.length && java.util.Arrays.equals(c, i, i + n.length, n, 0, n.length)) {
                        found.add("@" + it.bytenr() + "+" + i + ": " + show(n));
                    }
                }
            }
        }
        assertEquals(List.of(), found, "original names in the image");
    }
}
