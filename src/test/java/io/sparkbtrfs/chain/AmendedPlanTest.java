package io.sparkbtrfs.chain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Ours.Run;

/**
 * A delta against a delta amends its base's plan with the extent-tree leaves written since, instead of scanning
 * the extent tree (dump/ExtentSplice). On a kernel-written filesystem whose extent tree has dozens of leaves
 * (thousands of data extents), a chain of -c 0 deltas after workloads that rewrite a few files, delete hundreds
 * (extent items removed, leaves merged), create a thousand (leaves split), relocate a data chunk and then all
 * metadata (balance): at every link compacting the chain gives exactly the bytes of a full dump, the delta says
 * how its plan was made, and a local change reads a fraction of the extent tree. A {@code -w} link, and a link
 * after it, scan, and say so.
 */
class AmendedPlanTest {
    @TempDir
    Path tmp;

    private static Run ours(String... args) {
        Run r = Ours.inJvm(args);
        assertEquals(0, r.status(), r.stderr());
        return r;
    }

    private record Link(String options, Consumer<KernelFs.Mounted> workload, String plan) {
    }

    @Test
    void amendedPlansEqualFullDumpsAcrossSplitsMergesDeletionsAndBalances() throws IOException {
        KernelFs.assumeAvailable();
        Path fs = Mkfs.image(tmp.resolve("fs.img")).size(512L << 20).run();
        Path mnt = tmp.resolve("mnt");
        SplittableRandom rnd = new SplittableRandom(17);
        try (KernelFs.Mounted m = KernelFs.mount(fs, mnt)) {
            for (int d = 0; d < 16; d++) {
                for (int f = 0; f < 1000; f++) {
                    m.writeFile("d" + d + "/f" + f, bytes(rnd, 4097 + rnd.nextInt(4000)));
                }
            }
        }
        Path base = tmp.resolve("base.img");
        ours("--no-progress", "-c", "0", fs.toString(), base.toString());
        String amended = "the base's plan amended by the extent tree's changed leaves";
        List<Link> links = List.of(
                new Link("-c 0", m -> rewrite(m, rnd, "d2", 0, 20), "(the base is a full image"),
                new Link("-c 0", m -> rewrite(m, rnd, "d7", 3, 20), amended),
                new Link("-c 0", m -> {
                    for (int f = 0; f < 600; f++) {
                        delete(m, "d11/f" + f);
                    }
                }, amended),
                new Link("-c 0", m -> {
                    for (int f = 0; f < 2000; f++) {
                        m.writeFile("new/f" + f, bytes(rnd, 4097 + rnd.nextInt(4000)));
                    }
                }, amended),
                new Link("-c 0", m -> m.run("btrfs", "balance", "start", "-dlimit=1", m.mountpoint().toString())
                        .requireOk(), amended),
                new Link("-c 0", m -> m.run("btrfs", "balance", "start", "-m", m.mountpoint().toString())
                        .requireOk(), amended),
                new Link("-w", m -> rewrite(m, rnd, "d4", 1, 40), "the trees walked"),
                new Link("-c 0", m -> rewrite(m, rnd, "d5", 2, 40), "carries no plan to amend"));
        List<String> chain = new ArrayList<>(List.of(base.toString()));
        long firstPlanReads = -1;
        for (int i = 0; i < links.size(); i++) {
            Link link = links.get(i);
            try (KernelFs.Mounted m = KernelFs.mount(fs, mnt)) {
                link.workload().accept(m);
            }
            Path delta = tmp.resolve("delta" + (i + 1) + ".img");
            Path full = tmp.resolve("full" + (i + 1) + ".img");
            Path compact = tmp.resolve("compact" + (i + 1) + ".img");
            List<String> args = new ArrayList<>(List.of("--no-progress"));
            args.addAll(List.of(link.options().split(" ")));
            List<String> fullArgs = new ArrayList<>(args);
            args.addAll(List.of("--incremental", chain.get(chain.size() - 1), fs.toString(), delta.toString()));
            String line = ours(args.toArray(new String[0])).stderr().lines().filter(l -> l.startsWith("delta:"))
                    .findFirst().orElse("");
            System.out.println("link " + (i + 2) + " " + link.options() + ": " + line);
            assertTrue(line.contains("plan: ") && line.contains(link.plan()), line);
            Matcher planned = Pattern.compile("\\((\\d+) planning the full dump").matcher(line);
            assertTrue(planned.find(), line);
            long planReads = Long.parseLong(planned.group(1));
            if (i == 0) {
                firstPlanReads = planReads;
                assertTrue(planReads > 50, "an extent tree of a few leaves tests little: " + line);
            }
            if (i == 1) {
                assertTrue(planReads * 2 < firstPlanReads, "a local change read " + planReads + " blocks planning, "
                        + "a full scan " + firstPlanReads);
            }
            fullArgs.addAll(List.of(fs.toString(), full.toString()));
            ours(fullArgs.toArray(new String[0]));
            chain.add(delta.toString());
            List<String> c = new ArrayList<>(List.of("compact"));
            c.addAll(chain);
            c.add(compact.toString());
            ours(c.toArray(new String[0]));
            assertArrayEquals(Files.readAllBytes(full), Files.readAllBytes(compact), "link " + (i + 2) + " "
                    + link.options() + ": compact differs from the full dump");
            Files.delete(full);
            Files.delete(compact);
        }
    }

    /** Rewrites {@code count} files of {@code dir}, one in every 10 from {@code first}. */
    private static void rewrite(KernelFs.Mounted m, SplittableRandom rnd, String dir, int first, int count) {
        for (int f = first; f < first + 10 * count; f += 10) {
            m.writeFile(dir + "/f" + f, bytes(rnd, 4097 + rnd.nextInt(4000)));
        }
    }

    private static void delete(KernelFs.Mounted m, String rel) {
        try {
            Files.delete(m.resolve(rel));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static byte[] bytes(SplittableRandom rnd, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) ('a' + rnd.nextInt(26));
        }
        return b;
    }
}
