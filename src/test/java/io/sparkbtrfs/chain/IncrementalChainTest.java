package io.sparkbtrfs.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.Ours.Run;

/**
 * Incremental images on one kernel-written filesystem: a full base image, then a delta after each of seven
 * workloads (files created, deleted and renamed; snapshots and subvolumes; their deletion and xattrs; reflinks and
 * a defragment; a partial balance; a log tree left by fsync; more changes after the log's replay), each dumped
 * with other options. For every link: compacting the chain gives exactly the bytes of a full dump of the same
 * state with the same options; the reference restores it (zlib and raw images) and btrfs check is clean. A chain
 * sanitized with -ss and a seed compacts to the full -ss dump with that seed. Then the chain is attacked: links
 * out of order or missing, another filesystem's image, a truncated or flipped delta, other sanitizing: each
 * refused with one ERROR line naming the link, and no target left.
 */
class IncrementalChainTest {
    private static final long SEED = 0x5eed_1234_abcdL;
    /** Full dump options of each link's delta (the base is a plain full image); one link's parts run on Spark. */
    private static final List<List<String>> OPTIONS = List.of(List.of("-c", "0"),
            List.of("-c", "9", "--runner", "spark"), List.of("-w"), List.of("--compress", "zstd"), List.of("-c", "0"),
            List.of("-c", "9", "-w"), List.of("-c", "0"));

    @TempDir
    Path tmp;

    private static Run ours(String... args) {
        return Ours.inJvm(args);
    }

    private static void ok(Run r) {
        assertEquals(0, r.status(), r.stderr());
    }

    /** Exit 1, one ERROR line containing {@code expected}, nothing at {@code target}. */
    private static void refused(Run r, String expected, Path target) {
        System.out.println("refused: " + r.stderr().strip());
        assertEquals(1, r.status(), r.stderr());
        List<String> lines = r.stderr().lines().filter(l -> !l.isBlank()).toList();
        assertEquals(1, lines.stream().filter(l -> l.startsWith("ERROR: ")).count(), r.stderr());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("ERROR: ") && l.contains(expected)),
                "expected '" + expected + "' in: " + r.stderr());
        assertFalse(r.stderr().contains("\tat "), r.stderr());
        if (target != null) {
            assertFalse(Files.exists(target), target + " left behind");
        }
    }

    private static List<String> with(List<String> opts, String... more) {
        List<String> l = new ArrayList<>(List.of("--no-progress"));
        l.addAll(opts);
        l.addAll(List.of(more));
        return l;
    }

    @Test
    void chainOfKernelWrittenStates() throws IOException {
        KernelFs.assumeAvailable();
        RefTool.assumeAvailable();
        Path fs = Mkfs.image(tmp.resolve("fs.img")).size(256L << 20).run();
        Path mnt = tmp.resolve("mnt");
        SplittableRandom rnd = new SplittableRandom(13);
        try (KernelFs.Mounted m = KernelFs.mount(fs, mnt)) {
            for (int d = 0; d < 20; d++) {
                for (int f = 0; f < 40; f++) {
                    m.writeFile("d" + d + "/file-with-a-longer-name-" + f, bytes(rnd, 1 + rnd.nextInt(3000)));
                }
            }
            m.setXattr("d0/file-with-a-longer-name-0", "colour", "blue".getBytes(StandardCharsets.UTF_8));
        }
        Path base = tmp.resolve("base.img");
        Path baseSs = tmp.resolve("base-ss.img");
        ok(ours(args(with(List.of()), fs, base)));
        ok(ours(args(with(List.of("-ss", "--seed", Long.toString(SEED))), fs, baseSs)));
        Path baseS = tmp.resolve("base-s.img");
        ok(ours(args(with(List.of("-s", "--seed", Long.toString(SEED))), fs, baseS)));
        List<String> chain = new ArrayList<>(List.of(base.toString()));
        List<String> chainSs = new ArrayList<>(List.of(baseSs.toString()));
        for (int step = 1; step <= OPTIONS.size(); step++) {
            Path source = workload(step, fs, mnt, rnd);
            if (step == 1) {
                fullBaseOptions(fs, chain.get(0), chainSs.get(0));
                garbageNames(fs, baseS);
                Proc.run(List.of("cp", "--sparse=always", fs.toString(), tmp.resolve("early.img").toString()),
                        Proc.DEFAULT_TIMEOUT).requireOk();
            }
            if (step == 6) {
                assertFalse(RefTool.superFields(source).get("log_root").equals("0"), "no log tree to carry");
            }
            List<String> opts = OPTIONS.get(step - 1);
            Path delta = tmp.resolve("delta" + step + ".img");
            Path full = tmp.resolve("full" + step + ".img");
            Path compact = tmp.resolve("compact" + step + ".img");
            Run d = ours(args(with(opts, "--incremental", chain.get(chain.size() - 1)), source, delta));
            ok(d);
            java.util.regex.Matcher counts = java.util.regex.Pattern.compile("(\\d+) of (\\d+) blocks carried")
                    .matcher(d.stderr());
            assertTrue(counts.find(), d.stderr());
            long carried = Long.parseLong(counts.group(1));
            long planned = Long.parseLong(counts.group(2));
            System.out.println("link " + (step + 1) + " " + opts + ": " + d.stderr().lines()
                    .filter(l -> l.startsWith("delta:")).findFirst().orElse(""));
            // Only what changed; the balance relocates this small filesystem's only metadata chunk: everything.
            assertTrue(carried < planned || step == 5, "every block carried: " + d.stderr());
            ok(ours(args(with(opts), source, full)));
            chain.add(delta.toString());
            List<String> c = new ArrayList<>(List.of("compact"));
            c.addAll(chain);
            c.add(compact.toString());
            ok(ours(c.toArray(new String[0])));
            assertArrayEquals(Files.readAllBytes(full), Files.readAllBytes(compact), "link " + (step + 1) + " "
                    + opts + ": compact differs from the full dump");
            assertTrue(Files.size(delta) < Files.size(full) || step == 5, "a delta larger than the full image");
            if (!opts.contains("--compress")) {
                Path restored = tmp.resolve("restored" + step);
                RefTool.restore(compact, restored).requireOk();
                Proc.Result check = RefTool.check(restored);
                assertTrue(check.ok(), "btrfs check of link " + (step + 1) + ": " + check.output());
                Files.delete(restored);
            }
            Files.delete(full);
            Files.delete(compact);

            // The same chain sanitized with -ss and a seed.
            Path deltaSs = tmp.resolve("delta-ss" + step + ".img");
            Path fullSs = tmp.resolve("full-ss" + step + ".img");
            Path compactSs = tmp.resolve("compact-ss" + step + ".img");
            List<String> ss = new ArrayList<>(opts);
            ss.addAll(List.of("-ss", "--seed", Long.toString(SEED)));
            ok(ours(args(with(ss, "--incremental", chainSs.get(chainSs.size() - 1)), source, deltaSs)));
            ok(ours(args(with(ss), source, fullSs)));
            chainSs.add(deltaSs.toString());
            List<String> cs = new ArrayList<>(List.of("compact"));
            cs.addAll(chainSs);
            cs.add(compactSs.toString());
            ok(ours(cs.toArray(new String[0])));
            assertArrayEquals(Files.readAllBytes(fullSs), Files.readAllBytes(compactSs), "sanitized link "
                    + (step + 1) + " " + opts + ": compact differs from the full -ss dump");
            Files.delete(fullSs);
            Files.delete(compactSs);
            if (!source.equals(fs)) {
                Files.delete(source);
            }
        }
        attacks(fs, chain, chainSs);
        restoreChain(fs, chain);
        try (java.util.stream.Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(".btrfs-image-chain-")).toList(), "spill files left behind");
        }
    }

    private static String[] args(List<String> opts, Path source, Path target) {
        List<String> a = new ArrayList<>(opts);
        a.add(source.toString());
        a.add(target.toString());
        return a.toArray(new String[0]);
    }

    private static byte[] bytes(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + rnd.nextInt(26));
        }
        return b;
    }

    /** Runs workload {@code step}; returns the image to dump (the filesystem, or a copy with a log tree). */
    private Path workload(int step, Path fs, Path mnt, SplittableRandom rnd) throws IOException {
        try (KernelFs.Mounted m = KernelFs.mount(fs, mnt)) {
            switch (step) {
                case 1 -> {
                    for (int f = 0; f < 40; f += 3) {
                        Files.delete(m.resolve("d1/file-with-a-longer-name-" + f));
                        Files.move(m.resolve("d2/file-with-a-longer-name-" + f), m.resolve("d3/renamed-" + f));
                    }
                    for (int f = 0; f < 50; f++) {
                        m.writeFile("new/created-" + f, bytes(rnd, 500));
                    }
                }
                case 2 -> {
                    m.subvolumeCreate("sub");
                    m.writeFile("sub/inside", bytes(rnd, 5000));
                    m.snapshot("", "snap", true);
                    m.writeFile("d4/after-snapshot", bytes(rnd, 100));
                }
                case 3 -> {
                    m.run("btrfs", "subvolume", "delete", "-c", m.resolve("snap").toString());
                    for (int f = 0; f < 40; f++) {
                        m.setXattr("d5/file-with-a-longer-name-" + f, "tag", bytes(rnd, 30));
                    }
                }
                case 4 -> {
                    m.writeFile("big", bytes(rnd, 1 << 20));
                    m.sync();
                    m.reflink("big", "big-clone");
                    m.writeAt("big-clone", 4096, bytes(rnd, 4096));
                    m.run("btrfs", "filesystem", "defragment", "-r", m.resolve("d6").toString());
                }
                case 5 -> {
                    m.run("btrfs", "subvolume", "delete", "-c", m.resolve("sub").toString());
                    m.sync();
                    m.run("btrfs", "balance", "start", "-musage=50", mnt.toString());
                }
                case 6 -> {
                    m.writeFile("d7/before-log", bytes(rnd, 100));
                    m.sync();
                    m.fsyncWrite("d7/logged", bytes(rnd, 2000), false);
                    m.fsyncDir("d7");
                    return m.copyBackingImage(tmp.resolve("with-log.img"));
                }
                default -> {
                    for (int f = 0; f < 40; f += 2) {
                        m.writeFile("d8/file-with-a-longer-name-" + f, bytes(rnd, 700));
                    }
                }
            }
        }
        return fs;
    }

    /**
     * A full base records no options: the blocks it shares with the source show how it was made (while it
     * shares some: after the balance of step 5, nothing is left unchanged on this small filesystem).
     */
    private void fullBaseOptions(Path fs, String base, String baseSs) {
        Path target = tmp.resolve("refused.img");
        refused(ours(args(with(List.of("-ss", "--seed", Long.toString(SEED)), "--incremental", base), fs, target)),
                "otherwise than this dump writes it", target);
        refused(ours(args(with(List.of(), "--incremental", baseSs), fs, target)), "otherwise than this dump writes it",
                target);
        refused(ours(args(with(List.of("-ss", "--seed", "43"), "--incremental", baseSs), fs, target)),
                "otherwise than this dump writes it", target);
    }

    /** -s with a seed names alike in every link too: base + delta compacts to the full -s dump. */
    private void garbageNames(Path fs, Path baseS) throws IOException {
        List<String> opts = List.of("-s", "--seed", Long.toString(SEED));
        Path delta = tmp.resolve("delta-s.img");
        Path full = tmp.resolve("full-s.img");
        Path compact = tmp.resolve("compact-s.img");
        ok(ours(args(with(opts, "--incremental", baseS.toString()), fs, delta)));
        ok(ours(args(with(opts), fs, full)));
        ok(ours("compact", baseS.toString(), delta.toString(), compact.toString()));
        assertEquals(-1L, Files.mismatch(full, compact), "-s: compact differs from the full dump");
    }

    private void attacks(Path fs, List<String> chain, List<String> chainSs) throws IOException {
        Path target = tmp.resolve("attacked.img");
        // Out of order, a missing link, a delta first.
        refused(ours("compact", chain.get(0), chain.get(2), chain.get(1), target.toString()), "link 2", target);
        refused(ours("compact", chain.get(0), chain.get(1), chain.get(3), target.toString()),
                "does not follow link 2", target);
        refused(ours("compact", chain.get(1), chain.get(2), target.toString()), "a chain begins with a full image",
                target);
        refused(ours("verify", chain.get(0), chain.get(2)), "link 2", null);
        // The target forgotten: the last link would be the target. Refused, the delta keeps every byte.
        byte[] last = Files.readAllBytes(Path.of(chain.get(2)));
        refused(ours("compact", chain.get(0), chain.get(1), chain.get(2)), "refusing to write " + chain.get(2)
                + ": it is a delta image", null);
        refused(ours("restore-chain", chain.get(0), chain.get(1), chain.get(2)), "refusing to write "
                + chain.get(2) + ": it is a delta image", null);
        assertArrayEquals(last, Files.readAllBytes(Path.of(chain.get(2))));
        refused(ours("-r", chain.get(1), target.toString()), "a delta image holds only what changed since its base:"
                + " restore it with its chain (restore-chain BASE DELTA... TARGET)", target);
        // Another filesystem's base.
        Path other = Mkfs.image(tmp.resolve("other.img")).size(128L << 20).run();
        Path otherImage = tmp.resolve("other-base.img");
        ok(ours(args(with(List.of()), other, otherImage)));
        refused(ours("compact", otherImage.toString(), chain.get(1), target.toString()), "another filesystem", target);
        refused(ours(args(with(List.of(), "--incremental", otherImage.toString()), fs, target)),
                "is of another filesystem", target);
        // A base newer than the source: the newest delta against a copy of the filesystem after the first workload.
        refused(ours(args(with(List.of(), "--incremental", chain.get(chain.size() - 1)), tmp.resolve("early.img"),
                target)), "is newer than the source", target);
        // The reference does not take a delta for an image.
        Proc.Result ref = RefTool.restore(Path.of(chain.get(1)), tmp.resolve("ref-restored"));
        assertFalse(ref.ok(), ref.describe());
        assertTrue(ref.output().contains("unrecognized header format"), ref.output());
        assertFalse(Files.exists(tmp.resolve("ref-restored")) && Files.size(tmp.resolve("ref-restored")) > 0);
        // Sanitizing otherwise than the base delta.
        String ssNewest = chainSs.get(chainSs.size() - 1);
        refused(ours(args(with(List.of("-ss", "--seed", "42"), "--incremental", ssNewest), fs, target)),
                "another secret", target);
        refused(ours(args(with(List.of("-s", "--seed", Long.toString(SEED)), "--incremental", ssNewest), fs, target)),
                "was made with -ss", target);
        refused(ours(args(with(List.of(), "--incremental", ssNewest), fs, target)), "was made with -ss", target);
        // A truncated delta, a delta with a flipped byte (in the zstd payload: its checksum fails).
        Path delta = Path.of(chain.get(3));
        byte[] b = Files.readAllBytes(delta);
        Path cut = tmp.resolve("cut.img");
        Files.write(cut, java.util.Arrays.copyOf(b, b.length / 2)); // (a cut final pad loses nothing)
        List<String> withCut = new ArrayList<>(List.of("compact"));
        withCut.addAll(chain.subList(0, 3));
        withCut.add(cut.toString());
        withCut.add(target.toString());
        refused(ours(withCut.toArray(new String[0])), "link 4", target);
        Path flipped = tmp.resolve("flipped.img");
        byte[] f = b.clone();
        f[f.length - 2000] ^= 0x10;
        Files.write(flipped, f);
        withCut.set(4, flipped.toString());
        refused(ours(withCut.toArray(new String[0])), "link 4", target);
    }

    /** restore-chain gives the same file as our restore of the full image of the newest state. */
    private void restoreChain(Path fs, List<String> chain) throws IOException {
        Path full = tmp.resolve("full-last.img");
        ok(ours(args(with(List.of()), fs, full)));
        Path fromFull = tmp.resolve("from-full");
        Path fromChain = tmp.resolve("from-chain");
        ok(ours("-r", full.toString(), fromFull.toString()));
        List<String> r = new ArrayList<>(List.of("restore-chain"));
        r.addAll(chain);
        r.add(fromChain.toString());
        ok(ours(r.toArray(new String[0])));
        assertEquals(-1L, Files.mismatch(fromFull, fromChain), "restore-chain differs from the full image's restore");
        assertTrue(RefTool.check(fromChain).ok());
        Run info = ours("info", chain.get(chain.size() - 1));
        ok(info);
        assertTrue(info.stdout().contains("blocks carried:"), info.stdout());
        ok(ours(new ArrayList<>(List.of("verify")) {
            {
                addAll(chain);
            }
        }.toArray(new String[0])));
    }
}
