package io.sparkbtrfs.sanitize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.format.Crc32c;
import io.sparkbtrfs.testing.Fast;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/**
 * {@code -ss} keeps every name's length and btrfs name hash (issue 4, acceptance 2), and re-keys the names of 4 bytes
 * or less, which have no same-length collision (issue 14): after the reference restore, {@code btrfs check} reports
 * no error, on a {@code mkfs.btrfs --rootdir} tree with names that are prefixes of each other and names of every
 * length 1..255, and on the kernel-written canary filesystem. Then the {@link CollisionSolver} directly: every
 * length 5..255, the prefix names, speed.
 */
class CollisionTest {
    private static final String[] SS = {"-ss", "-c", "9", "--seed", "7"};
    private static final String[] PREFIX_NAMES = {"lib", "lib64", "libexec", "abcdefgh", "abcdefghij"};
    private static final Pattern NAMELEN = Pattern.compile("namelen:? (\\d+)");
    /** What btrfs check says about subvolume references (ROOT_REF / ROOT_BACKREF vs DIR_ITEM / DIR_INDEX). */
    private static final Pattern ROOT_REF_ERROR = Pattern.compile("(?i)root ?ref|backref|unresolved ref root|"
            + "root_ref|root_backref|subvol|root dir|referenced by");

    private static Path source(String fs) {
        return fs.equals("rootdir") ? SanitizeFixtures.rootdirFs() : SanitizeFixtures.canary();
    }

    private static final Pattern SHORT_SUMMARY = Pattern.compile("short names \\(4 bytes or less\\): (\\d+) entries "
            + "re-keyed, (\\d+) not");

    /**
     * Issue 14: every name keeps a hash that matches its key (names of 1..4 bytes are re-keyed), so btrfs check finds
     * no error at all; the summary line says how many entries were re-keyed, and that none was left behind.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"rootdir", "canary"})
    void checkFindsNoError(String fs) {
        Path src = source(fs);
        Path plainRestored = SanitizeFixtures.restored(SanitizeFixtures.image(src, "-c", "9"));
        Proc.Result plainCheck = RefTool.check(plainRestored);
        assertEquals(0, plainCheck.exitCode(), "the unsanitized restore is not clean: " + plainCheck.describe());

        Path img = SanitizeFixtures.image(src, SS);
        Proc.Result check = RefTool.check(SanitizeFixtures.restored(img));
        assertFalse(check.timedOut(), check.describe());
        assertEquals(0, check.exitCode(), check.describe());
        assertTrue(check.stdout().contains("no error found"), check.describe());
        assertFalse(check.output().contains("ERROR"), check.describe());
        Matcher m = SHORT_SUMMARY.matcher(SanitizeFixtures.stderr(img));
        assertTrue(m.find(), SanitizeFixtures.stderr(img));
        System.out.printf("%s -ss: btrfs check clean; %s%n", fs, m.group());
        assertTrue(Long.parseLong(m.group(1)) > 0, "nothing re-keyed: the fixture has no short name? " + m.group());
        assertEquals(0, Long.parseLong(m.group(2)), "short names left with a mismatched hash: " + m.group());
    }

    /**
     * {@code -s} breaks only the name hashes: one substitute per name keeps DIR_INDEX, INODE_REF, INODE_EXTREF and
     * ROOT_REF agreeing, so btrfs check finds every entry by index and complains only that the hashed DIR_ITEM is
     * missing ("no dir item") or has the wrong hash.
     */
    @Test
    void garbageModeKeepsTheLinksBetweenItems() {
        Path restored = SanitizeFixtures.restored(SanitizeFixtures.image(SanitizeFixtures.canary(), "-s", "-c", "9",
                "--seed", "7"));
        Proc.Result check = RefTool.check(restored);
        assertFalse(check.timedOut(), check.describe());
        List<String> bad = new ArrayList<>();
        int unresolved = 0;
        for (String line : check.output().split("\n")) {
            if (ROOT_REF_ERROR.matcher(line).find()
                    || line.startsWith("ERROR:") && !line.equals("ERROR: errors found in fs roots")) {
                bad.add(line.strip());
            }
            if (line.contains("unresolved ref")) {
                unresolved++;
                if (!line.endsWith("errors 1, no dir item")) {
                    bad.add(line.strip());
                }
            }
        }
        assertTrue(unresolved > 100, "expected the hashed DIR_ITEMs of -s names not to be found: " + check.describe());
        assertTrue(bad.isEmpty(), "errors other than missing/mismatched hashed DIR_ITEMs: "
                + bad.subList(0, Math.min(bad.size(), 20)));
    }

    /** DIR_ITEM name_len values and names of a dump-tree output (all trees printed). */
    private record DirItems(Map<Integer, Integer> lengths, Set<String> names, List<String> subvolumeEntries,
                            List<String> rootRefs) {
    }

    private static final Pattern ITEM = Pattern.compile("^\\titem \\d+ key \\((\\S+) (\\S+) (\\S+)\\)");
    private static final Pattern NAME_LEN = Pattern.compile("name_len (\\d+)");
    private static final Pattern ROOT_REF_LINE = Pattern.compile("^\\t\\troot (?:back)?ref key dirid \\d+ sequence \\d+ "
            + "name (.*)$");

    private static DirItems dirItems(String dumpTree) {
        Map<Integer, Integer> lengths = new TreeMap<>();
        Set<String> names = new HashSet<>();
        List<String> subvolumes = new ArrayList<>();
        List<String> rootRefs = new ArrayList<>();
        String itemType = "";
        boolean locationIsRoot = false;
        for (String line : dumpTree.split("\n")) {
            Matcher item = ITEM.matcher(line);
            if (item.find()) {
                itemType = item.group(2);
                continue;
            }
            if (!line.startsWith("\t\t")) {
                itemType = "";
                continue;
            }
            Matcher rr = ROOT_REF_LINE.matcher(line);
            if (rr.find()) {
                rootRefs.add(rr.group(1));
            }
            if (!itemType.equals("DIR_ITEM") && !itemType.equals("DIR_INDEX")) {
                continue;
            }
            if (line.startsWith("\t\tlocation key")) {
                locationIsRoot = line.contains(" ROOT_ITEM ");
            }
            Matcher nl = NAME_LEN.matcher(line);
            if (itemType.equals("DIR_ITEM") && nl.find()) {
                lengths.merge(Integer.parseInt(nl.group(1)), 1, Integer::sum);
            }
            if (line.startsWith("\t\tname: ")) {
                String name = line.substring("\t\tname: ".length());
                if (itemType.equals("DIR_ITEM")) {
                    names.add(name);
                }
                if (locationIsRoot && !name.equals("default")) {
                    subvolumes.add(name);
                }
            }
        }
        return new DirItems(lengths, names, subvolumes, rootRefs);
    }

    @Test
    void namesChangeLengthsStay() {
        Path src = SanitizeFixtures.rootdirFs();
        DirItems plain = dirItems(RefTool.dumpTree(SanitizeFixtures.restored(SanitizeFixtures.image(src, "-c", "9")),
                "-t", "5").requireOk().stdout());
        DirItems ss = dirItems(RefTool.dumpTree(SanitizeFixtures.restored(SanitizeFixtures.image(src, SS)),
                "-t", "5").requireOk().stdout());
        for (String n : PREFIX_NAMES) {
            assertTrue(plain.names().contains(n), "the source has no " + n);
            assertFalse(ss.names().contains(n), n + " survived -ss");
        }
        for (int len = 1; len <= 255; len++) {
            assertTrue(plain.lengths().containsKey(len), "the source has no name of " + len + " bytes");
        }
        assertEquals(plain.lengths(), ss.lengths(), "DIR_ITEM name lengths (length -> count) changed");
        List<String> kept = new ArrayList<>();
        for (String n : plain.names()) {
            if (n.length() >= 5 && n.chars().allMatch(c -> c < 0x7F) && ss.names().contains(n)) {
                kept.add(n);
            }
        }
        assertTrue(kept.isEmpty(), "names of 5 bytes or more unchanged by -ss: " + kept);
    }

    @Test
    void subvolumeNamesAgreeBetweenRootRefsAndDirItems() {
        Path src = SanitizeFixtures.canary();
        DirItems plain = dirItems(RefTool.dumpTree(SanitizeFixtures.restored(SanitizeFixtures.image(src, "-c", "9")))
                .requireOk().stdout());
        DirItems ss = dirItems(RefTool.dumpTree(SanitizeFixtures.restored(SanitizeFixtures.image(src, SS)))
                .requireOk().stdout());
        // 4 subvolumes (subvol, nested, snap, snapro): a ROOT_REF and a ROOT_BACKREF each
        assertEquals(8, plain.rootRefs().size(), "root refs of the source: " + plain.rootRefs());
        assertEquals(8, ss.rootRefs().size(), "root refs after -ss: " + ss.rootRefs());
        for (String ref : ss.rootRefs()) {
            assertFalse(plain.rootRefs().contains(ref), "subvolume name kept: " + ref);
            assertTrue(ss.subvolumeEntries().contains(ref), "root ref name " + ref + " has no directory entry; "
                    + "entries pointing at subvolumes: " + ss.subvolumeEntries());
        }
        assertEquals(new HashSet<>(ss.rootRefs()), new HashSet<>(ss.subvolumeEntries()),
                "subvolume entries and root refs name different things");
    }

    // ------------------------------------------------------------------------------- the solver itself

    private static final byte[] PRINTABLE = alphabet();

    private static byte[] alphabet() {
        StringBuilder sb = new StringBuilder();
        for (char c = '!'; c <= '~'; c++) {
            if (c != '/') {
                sb.append(c);
            }
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] randomPrintable(SplittableRandom r, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = PRINTABLE[r.nextInt(PRINTABLE.length)];
        }
        return b;
    }

    /** Random bytes other than NUL and '/' (UTF-8 names and worse). */
    private static byte[] randomLegal(SplittableRandom r, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            int c;
            do {
                c = 1 + r.nextInt(255);
            } while (c == '/');
            b[i] = (byte) c;
        }
        return b;
    }

    private static String show(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    private static void assertCollision(byte[] name, int fixed, CollisionSolver.Result r, boolean printable) {
        String what = "'" + show(name) + "' (" + name.length + " bytes, " + fixed + " fixed)";
        assertNotNull(r, "no collision for " + what);
        byte[] s = r.name();
        assertEquals(name.length, s.length, what);
        assertEquals(Crc32c.nameHash(name, 0, name.length), Crc32c.nameHash(s, 0, s.length), "hash of " + what);
        assertFalse(Arrays.equals(name, s), "unchanged: " + what);
        assertArrayEquals(Arrays.copyOf(name, fixed), Arrays.copyOf(s, fixed), "fixed prefix of " + what);
        for (byte c : s) {
            assertTrue(c != 0 && c != '/', "NUL or '/' in " + show(s) + " for " + what);
        }
        if (printable) {
            for (byte c : s) {
                assertTrue(c >= 0x20 && c <= 0x7E, "not printable: " + show(s) + " for " + what);
            }
            assertEquals(CollisionSolver.Kind.PRINTABLE, r.kind(), what);
        }
    }

    @Fast
    @Test
    void solverEveryLength5To255() {
        SplittableRandom r = new SplittableRandom(2024);
        for (int len = 5; len <= 255; len++) {
            for (int trial = 0; trial < 3; trial++) {
                byte[] name = randomPrintable(r, len);
                assertCollision(name, 0, CollisionSolver.solve(name, 0, r.split()), len >= 6);
            }
            byte[] legal = randomLegal(r, len);
            assertCollision(legal, 0, CollisionSolver.solve(legal, 0, r.split()), false);
        }
    }

    @Fast
    @Test
    void solverPrefixNamesAndKeptXattrNamespace() {
        SplittableRandom r = new SplittableRandom(5);
        for (String n : new String[] {"lib64", "libexec", "abcdefgh", "abcdefghij", "abcdefghijk", "lib32", "libx32",
            "lib.so", "lib.so.1", "lib.so.1.2", "abcdefg", "abcdefghi"}) {
            byte[] name = n.getBytes(StandardCharsets.US_ASCII);
            assertCollision(name, 0, CollisionSolver.solve(name, 0, r.split()), name.length >= 6);
        }
        for (String n : new String[] {"user.abcdef", "user.comment", "user.xdg.origin.url"}) {
            byte[] name = n.getBytes(StandardCharsets.US_ASCII);
            assertCollision(name, 5, CollisionSolver.solve(name, 5, r.split()), name.length - 5 >= 6);
        }
        for (String n : new String[] {"a", "ab", "lib", "abcd", "user.abcd"}) {
            byte[] name = n.getBytes(StandardCharsets.US_ASCII);
            assertNull(CollisionSolver.solve(name, n.startsWith("user.") ? 5 : 0, r.split()),
                    "a same-length collision of 4 bytes or less cannot exist: " + n);
        }
    }

    @Fast
    @Test
    void solverRate() {
        SplittableRandom r = new SplittableRandom(64);
        byte[][] names = new byte[10_000][];
        for (int i = 0; i < names.length; i++) {
            names[i] = randomPrintable(r, 64);
        }
        for (int i = 0; i < 500; i++) {
            CollisionSolver.solve(names[i], 0, r.split()); // warm-up
        }
        long t0 = System.nanoTime();
        for (byte[] n : names) {
            assertNotNull(CollisionSolver.solve(n, 0, r.split()));
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("CollisionSolver: %d names of 64 bytes in %.3f s (%.0f names/s)%n", names.length, s,
                names.length / s);
        assertTrue(s < 5, "10,000 names of 64 bytes took " + s + " s");
    }

    /**
     * Printable names of {@code len} bytes with equal name hashes, found by a birthday search (deterministic):
     * {@code pairs} pairs.
     */
    static List<byte[][]> sameHashPairs(int len, int pairs, long seed) {
        int n = 1 << 21;
        SplittableRandom r = new SplittableRandom(seed);
        byte[][] names = new byte[n][];
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            names[i] = randomPrintable(r, len);
            keys[i] = (Integer.toUnsignedLong(Crc32c.nameHash(names[i], 0, len)) << 21) | i;
        }
        Arrays.sort(keys);
        List<byte[][]> out = new ArrayList<>();
        for (int i = 1; i < n && out.size() < pairs; i++) {
            if (keys[i] >>> 21 == keys[i - 1] >>> 21) {
                byte[] a = names[(int) (keys[i - 1] & ((1 << 21) - 1))];
                byte[] b = names[(int) (keys[i] & ((1 << 21) - 1))];
                if (!Arrays.equals(a, b)) {
                    out.add(new byte[][] {a, b});
                }
            }
        }
        return out;
    }

    /**
     * Distinct names must get distinct substitutes, also when they have the same length and hash (the names of one
     * multi-entry DIR_ITEM, or a test suite's collision set). Names of 5 and 6 bytes have few same-hash
     * alternatives, and the solver picks among them without regard to the other names of the class.
     */
    @Fast
    @Test
    void sameHashNamesGetDistinctSubstitutes() {
        NameSanitizer s = (NameSanitizer) new NameSanitizer(true, 7).forTask();
        List<String> shared = new ArrayList<>();
        int total = 0;
        for (int len : new int[] {5, 6}) {
            List<byte[][]> pairs = sameHashPairs(len, len == 5 ? 20 : 100, len);
            assertTrue(pairs.size() >= 20, "birthday search found only " + pairs.size() + " pairs of " + len);
            for (byte[][] p : pairs) {
                total++;
                byte[] a = s.compute(p[0], 0);
                byte[] b = s.compute(p[1], 0);
                if (Arrays.equals(a, b)) {
                    shared.add(show(p[0]) + " and " + show(p[1]) + " -> " + show(a));
                }
            }
        }
        assertTrue(shared.isEmpty(), shared.size() + " of " + total + " same-hash pairs share a substitute: " + shared);
    }

    @Fast
    @Test
    void substitutesOfDistinctLongNamesAreDistinct() {
        NameSanitizer s = (NameSanitizer) new NameSanitizer(true, 7).forTask();
        Map<String, String> seen = new HashMap<>();
        SplittableRandom r = new SplittableRandom(8);
        for (int i = 0; i < 20_000; i++) {
            byte[] n = randomPrintable(r, 7 + r.nextInt(40));
            String sub = show(s.compute(n, 0));
            String prev = seen.putIfAbsent(sub, show(n));
            assertTrue(prev == null || prev.equals(show(n)), prev + " and " + show(n) + " -> " + sub);
        }
    }
}
