package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.SparseFiles;

/**
 * Shared checks for restored targets: byte equality with the reference over the data ranges of both (sparse)
 * files, except the two backup-superblock slots, and the backup superblocks we write there.
 *
 * <p>Deliberate deviation from the reference: we write the backup superblocks at 64 MiB and 256 GiB when
 * they fit in the final (extended) size of a regular file; the reference never does (its bug 20: the file is
 * only 69632 bytes long when it writes them).
 */
final class RestoredTargets {
    static final long PRIMARY = 65536;
    static final long[] MIRRORS = {64L << 20, 256L << 30};
    static final int SUPER = 4096;
    /** The two backup-superblock slots, excluded from comparisons with the reference. */
    static final List<long[]> MIRROR_RANGES = List.of(new long[] {MIRRORS[0], MIRRORS[0] + SUPER},
            new long[] {MIRRORS[1], MIRRORS[1] + SUPER});
    static final long FLAG_METADUMP_V2 = 1L << 34;

    private RestoredTargets() {
    }

    /**
     * The reference restore, with one worker thread: with several, 6.2's output is not deterministic (its bug
     * 28: a chunk-tree item may be fixed up before the superblock item filled the "original superblock" copy,
     * so a single-device chunk tree leaf gets the multi-device fixup, sub_stripes 0, in about one run in ten;
     * seen on fsck-tests 036 over_dev_boundary).
     */
    static Proc.Result referenceRestore(Path image, Path target) {
        return RefTool.restore(image, target, "-t", "1");
    }

    /** Our restore in this JVM: {@code btrfs-image -r IMAGE TARGET}. */
    static Ours.Run ourRestore(Path image, Path target, String... extra) {
        return ourRestore(image, List.of(target), extra);
    }

    /** {@code btrfs-image -r EXTRA IMAGE TARGET...} in this JVM (several targets with {@code -m}). */
    static Ours.Run ourRestore(Path image, List<Path> targets, String... extra) {
        List<String> args = new ArrayList<>(List.of("-r"));
        args.addAll(List.of(extra));
        args.add(image.toString());
        for (Path t : targets) {
            args.add(t.toString());
        }
        return Ours.inJvm(args.toArray(new String[0]));
    }

    /**
     * Same size, and the same bytes over the union of both files' data ranges, backup-superblock slots
     * excluded. Returns the number of bytes compared.
     */
    static long assertSameBytes(Path reference, Path ours, String label) throws IOException {
        assertEquals(Files.size(reference), Files.size(ours), label + ": target size");
        List<List<long[]>> both = SparseFiles.dataRanges(List.of(reference, ours));
        List<long[]> ranges = SparseFiles.subtract(SparseFiles.union(both.get(0), both.get(1)), MIRROR_RANGES);
        assertFalse(ranges.isEmpty(), label + ": no data at all");
        long diff = SparseFiles.firstDifference(reference, ours, ranges);
        if (diff >= 0) {
            fail(label + ": first difference at offset " + diff + " (4 KiB block " + (diff & ~4095L) + ")");
        }
        return SparseFiles.length(ranges);
    }

    /**
     * Every backup superblock slot that fits in our target holds a copy of our primary superblock (bytes
     * 0..31, the checksum, and 48..55, bytenr = the slot's offset, excepted); slots that do not fit are past
     * the end. If the filesystem uses crc32c, the copy's checksum is verified here. Returns the slots written.
     */
    static int assertOurMirrors(Path ours, String label) throws IOException {
        long size = Files.size(ours);
        byte[] primary = SparseFiles.read(ours, PRIMARY, SUPER);
        assertEquals(PRIMARY, le64(primary, 48), label + ": primary bytenr");
        int written = 0;
        for (long m : MIRRORS) {
            if (m + SUPER > size) {
                continue;
            }
            written++;
            byte[] copy = SparseFiles.read(ours, m, SUPER);
            String where = label + ": backup superblock at " + m;
            assertEquals(m, le64(copy, 48), where + ": bytenr field");
            assertTrue(Arrays.equals(primary, 32, 48, copy, 32, 48), where + ": bytes 32..47 differ from the primary");
            assertTrue(Arrays.equals(primary, 56, SUPER, copy, 56, SUPER),
                    where + ": bytes 56..4095 differ from the primary (first at "
                            + (56 + Arrays.mismatch(primary, 56, SUPER, copy, 56, SUPER)) + ")");
            if (csumType(copy) == 0) {
                assertTrue(crc32cValid(copy), where + ": crc32c checksum");
            }
        }
        return written;
    }

    static int csumType(byte[] superblock) {
        return (superblock[196] & 0xff) | (superblock[197] & 0xff) << 8;
    }

    static boolean crc32cValid(byte[] superblock) {
        CRC32C c = new CRC32C();
        c.update(superblock, 32, SUPER - 32);
        return (int) c.getValue() == ByteBuffer.wrap(superblock, 0, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
    }

    static long le64(byte[] b, int off) {
        return ByteBuffer.wrap(b, off, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    /** {@code btrfs check} exits 0 and reports no error, warning or mismatch. */
    static void assertClean(Proc.Result check) {
        assertEquals(0, check.exitCode(), check.output());
        String out = check.output().toLowerCase(java.util.Locale.ROOT);
        assertFalse(out.contains("error") && !out.contains("no error found"), check.output());
        assertFalse(out.contains("warning"), check.output());
        assertFalse(out.contains("mismatch"), check.output());
    }

    /** The superblock flags as dump-super prints them ("0x400000001"). */
    static long flags(Path dev) {
        String v = RefTool.superFields(dev).get("flags");
        assertTrue(v != null && v.startsWith("0x"), "flags: " + v);
        return Long.parseUnsignedLong(v.substring(2), 16);
    }
}
