package io.sparkbtrfs.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import org.junit.jupiter.api.Assumptions;

/**
 * Data ranges of sparse files (restored targets are up to 3 TB with a few MiB of data) and byte comparisons
 * restricted to them. Java has no SEEK_DATA/SEEK_HOLE, so {@link #dataRanges} asks {@code python3}
 * ({@code os.lseek(fd, pos, os.SEEK_DATA)}), which therefore must be installed for the tests that use it.
 * A range list is sorted, non-overlapping, each {@code long[]{start, end}} with end exclusive; a filesystem
 * may report more data than was written (whole blocks, preallocation), never less.
 */
public final class SparseFiles {
    private static final String SCRIPT = String.join("\n",
            "import os, sys, errno",
            "for i, name in enumerate(sys.argv[1:]):",
            "    fd = os.open(name, os.O_RDONLY)",
            "    size = os.fstat(fd).st_size",
            "    print('file', i, size)",
            "    pos = 0",
            "    while pos < size:",
            "        try:",
            "            start = os.lseek(fd, pos, os.SEEK_DATA)",
            "        except OSError as e:",
            "            if e.errno == errno.ENXIO:",
            "                break",
            "            raise",
            "        end = os.lseek(fd, start, os.SEEK_HOLE)",
            "        print(start, end)",
            "        pos = end",
            "    os.close(fd)",
            "print('end')");

    private static final int BUF = 1 << 20;

    private SparseFiles() {
    }

    /** Null if python3 is runnable, otherwise why not. */
    public static String unavailableReason() {
        return Proc.onPath("python3") ? null : "python3 not found on PATH (needed for SEEK_DATA/SEEK_HOLE)";
    }

    /** JUnit assumption: skips the calling test unless python3 is available. */
    public static void assumeAvailable() {
        String why = unavailableReason();
        Assumptions.assumeTrue(why == null, () -> why);
    }

    /** The data ranges of {@code file} (SEEK_DATA/SEEK_HOLE). */
    public static List<long[]> dataRanges(Path file) {
        return dataRanges(List.of(file)).get(0);
    }

    /** The data ranges of each file, in order, listed by one python3 process (it costs ~0.1 s to start). */
    public static List<List<long[]>> dataRanges(List<Path> files) {
        List<String> cmd = new ArrayList<>(List.of("python3", "-S", "-c", SCRIPT));
        for (Path f : files) {
            cmd.add(f.toString());
        }
        Proc.Result r = Proc.run(cmd, Duration.ofSeconds(60)).requireOk();
        List<List<long[]>> out = new ArrayList<>();
        boolean complete = false;
        for (String line : r.stdout().split("\n")) {
            String[] f = line.trim().split(" ");
            if (f[0].equals("file")) {
                out.add(new ArrayList<>());
            } else if (f[0].equals("end")) {
                complete = true;
            } else if (!line.isBlank()) {
                out.get(out.size() - 1).add(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])});
            }
        }
        if (!complete || out.size() != files.size()) {
            throw new IllegalStateException("incomplete SEEK_DATA listing: " + r.describe());
        }
        return out;
    }

    /** Sorted, merged union of range lists. */
    @SafeVarargs
    public static List<long[]> union(List<long[]>... lists) {
        List<long[]> all = new ArrayList<>();
        for (List<long[]> l : lists) {
            for (long[] r : l) {
                all.add(r.clone());
            }
        }
        all.sort(Comparator.comparingLong(r -> r[0]));
        List<long[]> out = new ArrayList<>();
        for (long[] r : all) {
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && r[0] <= last[1]) {
                last[1] = Math.max(last[1], r[1]);
            } else {
                out.add(r);
            }
        }
        return out;
    }

    /** {@code ranges} minus {@code excluded} (both sorted lists of [start, end)). */
    public static List<long[]> subtract(List<long[]> ranges, List<long[]> excluded) {
        List<long[]> out = new ArrayList<>();
        for (long[] r : ranges) {
            long start = r[0];
            for (long[] x : excluded) {
                if (x[1] <= start || x[0] >= r[1]) {
                    continue;
                }
                if (x[0] > start) {
                    out.add(new long[] {start, x[0]});
                }
                start = Math.max(start, x[1]);
            }
            if (start < r[1]) {
                out.add(new long[] {start, r[1]});
            }
        }
        return out;
    }

    /** Total number of bytes in a range list. */
    public static long length(List<long[]> ranges) {
        long n = 0;
        for (long[] r : ranges) {
            n += r[1] - r[0];
        }
        return n;
    }

    /**
     * The first offset within {@code ranges} where {@code a} and {@code b} differ (bytes past a file's end read
     * as zero), or -1 if they are equal there.
     */
    public static long firstDifference(Path a, Path b, List<long[]> ranges) throws IOException {
        try (FileChannel ca = FileChannel.open(a, StandardOpenOption.READ);
                FileChannel cb = FileChannel.open(b, StandardOpenOption.READ)) {
            byte[] xa = new byte[BUF];
            byte[] xb = new byte[BUF];
            for (long[] r : ranges) {
                for (long pos = r[0]; pos < r[1]; pos += BUF) {
                    int n = (int) Math.min(BUF, r[1] - pos);
                    read(ca, pos, xa, n);
                    read(cb, pos, xb, n);
                    int i = Arrays.mismatch(xa, 0, n, xb, 0, n);
                    if (i >= 0) {
                        return pos + i;
                    }
                }
            }
        }
        return -1;
    }

    /** {@code cp --sparse=always from to}: a copy of a filesystem image that stays sparse; returns {@code to}. */
    public static Path copy(Path from, Path to) {
        Proc.runOk("cp", "--sparse=always", from.toString(), to.toString());
        return to;
    }

    /** {@code n} bytes at {@code pos} (zeros past the end of the file). */
    public static byte[] read(Path file, long pos, int n) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
            byte[] b = new byte[n];
            read(c, pos, b, n);
            return b;
        }
    }

    private static void read(FileChannel c, long pos, byte[] into, int n) throws IOException {
        Arrays.fill(into, 0, n, (byte) 0);
        ByteBuffer bb = ByteBuffer.wrap(into, 0, n);
        long at = pos;
        while (bb.hasRemaining()) {
            int k = c.read(bb, at);
            if (k < 0) {
                break;
            }
            at += k;
        }
    }

    /** Deletes a file if it exists (targets are sparse, but tests should still be tidy). */
    public static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // best effort
        }
    }
}
