package io.sparkbtrfs.sanitize;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.TreeGenerator;

/**
 * Kernel-written filesystems full of names of 1..4 bytes, for issue 14 (sanitized images that mount), built once per
 * test JVM in {@link SanitizeFixtures#dir()}:
 * <ul>
 *   <li>{@link #shortNames()}: every printable 1- and 2-byte name in one directory; a directory of 30,000 entries
 *       (a third of them 3- and 4-byte names) whose DIR_ITEMs span some 140 leaves; 1,500 short {@code user.}
 *       xattrs on one file (XATTR_ITEMs over several leaves) and short xattrs on many files; subvolumes, a nested
 *       subvolume and snapshots with short names; and a copy taken after fsyncs without a commit (a log tree of
 *       short names: new files, an xattr, a rename).</li>
 *   <li>{@link #aged()}: a filesystem aged by rounds of creating, renaming and deleting files with names of every
 *       length from 1 to 40 bytes (one in twenty of 4 bytes or less) in 64 directories, a commit after each round.
 *       (No snapshots: each one adds its own leaf boundaries to every directory it holds, which narrows the hash
 *       range a short name's substitute must stay in; see the README on one-byte names.)</li>
 * </ul>
 */
final class ShortNameFixtures {
    private static KernelFs.Result shortNames;
    private static Path aged;

    private ShortNameFixtures() {
    }

    /** Printable ASCII but '/'. */
    static final String PRINTABLE;

    static {
        StringBuilder sb = new StringBuilder();
        for (char c = 0x20; c < 0x7F; c++) {
            if (c != '/') {
                sb.append(c);
            }
        }
        PRINTABLE = sb.toString();
    }

    static synchronized KernelFs.Result shortNames() {
        if (shortNames == null) {
            KernelFs.assumeAvailable();
            RefTool.assumeAvailable();
            long t0 = System.nanoTime();
            shortNames = KernelFs.builder(SanitizeFixtures.dir().resolve("short")).name("short").size(1L << 30)
                    .compress(null).standardContent(false).populate(ShortNameFixtures::populate)
                    .logTreeWrites(ShortNameFixtures::logWrites).build();
            System.out.printf("short-name filesystem built in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
        return shortNames;
    }

    private static void populate(KernelFs.Mounted fs) throws IOException {
        Path all = Files.createDirectories(fs.resolve("all12"));
        for (int i = 0; i < PRINTABLE.length(); i++) {
            String a = PRINTABLE.substring(i, i + 1);
            if (!a.equals(".")) {
                Files.createFile(all.resolve(a));
            }
            for (int j = 0; j < PRINTABLE.length(); j++) {
                String ab = a + PRINTABLE.charAt(j);
                if (!ab.equals("..")) {
                    Files.createFile(all.resolve(ab));
                }
            }
        }
        SplittableRandom r = new SplittableRandom(14);
        Path big = Files.createDirectories(fs.resolve("big"));
        Set<String> used = new HashSet<>();
        for (int i = 0; i < 30_000; i++) {
            String name;
            do {
                name = i % 3 == 0 ? random(r, 3 + r.nextInt(2)) : random(r, 8 + r.nextInt(33));
            } while (!used.add(name) || name.equals(".") || name.equals(".."));
            Path f = Files.createFile(big.resolve(name));
            if (i % 50 == 0) {
                TreeGenerator.setUserXattr(f, random(r, 1 + r.nextInt(4)), new byte[] {1, 2, 3});
            }
        }
        Path x = Files.createDirectories(fs.resolve("x"));
        Path target = Files.createFile(x.resolve("xattrs"));
        Set<String> xattrs = new HashSet<>();
        for (int i = 0; i < 1500; i++) {
            String name = i < PRINTABLE.length() ? PRINTABLE.substring(i, i + 1) : random(r, 2 + r.nextInt(3));
            if (xattrs.add(name)) {
                TreeGenerator.setUserXattr(target, name, ("v" + i).getBytes(StandardCharsets.US_ASCII));
            }
        }
        fs.subvolumeCreate("a");
        fs.writeFile("a/f", new byte[] {1});
        fs.writeFile("a/gg", new byte[] {2});
        fs.subvolumeCreate("a/n");
        fs.writeFile("a/n/k", new byte[] {3});
        fs.setXattr("a", "s", new byte[] {4});
        fs.subvolumeCreate("sv");
        for (int i = 0; i < 300; i++) {
            Files.write(fs.resolve("sv").resolve(random(r, 1 + r.nextInt(4)) + i), new byte[] {5});
        }
        fs.sync();
        fs.snapshot("a", "b", false);
        fs.snapshot("a", "r", true);
        fs.snapshot("sv", "S2", false);
        fs.writeFile("b/new", new byte[] {6}); // COW of the snapshot's leaf
    }

    /** After a commit: new short names, an xattr and a rename, fsynced into the log tree only. */
    private static void logWrites(KernelFs.Mounted fs) throws IOException {
        String d = "lg" + System.nanoTime() % 1000;
        fs.writeFile(d + "/pre", new byte[] {7});
        fs.writeFile(d + "/kp", new byte[] {8});
        fs.sync();
        fs.fsyncWrite(d + "/1", new byte[] {9}, false);
        fs.fsyncWrite(d + "/22", new byte[] {10}, false);
        fs.fsyncWrite(d + "/333", new byte[] {11}, false);
        fs.setXattr(d + "/kp", "z", new byte[] {12});
        fs.fsyncWrite(d + "/kp", new byte[] {13}, true);
        Files.move(fs.resolve(d + "/pre"), fs.resolve(d + "/q"));
        fs.fsyncWrite(d + "/q", new byte[0], true);
        fs.fsyncDir(d);
    }

    static String random(SplittableRandom r, int len) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < len; i++) {
            sb.append(PRINTABLE.charAt(r.nextInt(PRINTABLE.length())));
        }
        String s = sb.toString();
        return s.equals(".") || s.equals("..") ? "_" + s.substring(1) : s;
    }

    /**
     * A filesystem aged by six rounds over 64 directories: create 4,000 files with names of 1..40 bytes (one in
     * twenty of 4 bytes or less), rename a fifth of the live files, delete a third, set short xattrs on some; commit.
     */
    static synchronized Path aged() {
        if (aged == null) {
            KernelFs.assumeAvailable();
            RefTool.assumeAvailable();
            long t0 = System.nanoTime();
            aged = KernelFs.builder(SanitizeFixtures.dir().resolve("aged")).name("aged").size(1L << 30)
                    .compress(null).standardContent(false).populate(ShortNameFixtures::age).build().image();
            System.out.printf("aged filesystem built in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        }
        return aged;
    }

    private static void age(KernelFs.Mounted fs) throws IOException {
        SplittableRandom r = new SplittableRandom(2014);
        fs.subvolumeCreate("data");
        List<Path> live = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            for (int i = 0; i < 4000; i++) {
                Path dir = fs.resolve("data/d" + r.nextInt(64));
                Files.createDirectories(dir);
                Path f = dir.resolve(agedName(r));
                if (!Files.exists(f)) {
                    Files.write(f, new byte[r.nextInt(3000)]);
                    live.add(f);
                    if (r.nextInt(20) == 0) {
                        TreeGenerator.setUserXattr(f, shortName(r), new byte[] {1});
                    }
                }
            }
            for (int i = 0; i < live.size() / 5; i++) {
                int k = r.nextInt(live.size());
                Path from = live.get(k);
                Path to = from.resolveSibling(agedName(r));
                if (!Files.exists(to)) {
                    Files.move(from, to);
                    live.set(k, to);
                }
            }
            for (int i = 0; i < live.size() / 3; i++) {
                Files.deleteIfExists(live.remove(r.nextInt(live.size())));
            }
            fs.sync();
        }
    }

    /** Names of 1..40 bytes, one in twenty of 4 bytes or less. */
    private static String agedName(SplittableRandom r) {
        return r.nextInt(20) == 0 ? shortName(r) : random(r, 5 + r.nextInt(36));
    }

    /**
     * A name of 1..4 bytes, lengths weighted as in real trees (one-byte names are rare, three- and four-byte ones
     * common: bin, lib, src, tmp, docs).
     */
    private static String shortName(SplittableRandom r) {
        int p = r.nextInt(10);
        return random(r, p == 0 ? 1 : p < 3 ? 2 : p < 7 ? 3 : 4);
    }
}
