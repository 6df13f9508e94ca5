package io.sparkbtrfs.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.ChunkItem;
import io.sparkbtrfs.testing.Fast;

/** Logical → chunk lookup: boundaries, gaps, unsigned order above 2^63, duplicate merging, overlap rejection. */
@Fast
class ChunkMapTest {
    private static final long MIB = 1L << 20;
    private static final long TWO_63 = Long.MIN_VALUE; // 2^63 as an unsigned address

    private static ChunkItem chunk(long start, long length) {
        return new ChunkItem(start, length, 65536, ChunkItem.TYPE_METADATA, 0, new long[] {1}, new long[] {start});
    }

    // [1 MiB, 9 MiB) gap [16 MiB, 24 MiB)[24 MiB, 32 MiB) gap [2^63, 2^63 + 1 GiB) gap [2^64 - 4 GiB, 2^64 - 1 GiB)
    private static final ChunkItem A = chunk(MIB, 8 * MIB);
    private static final ChunkItem B = chunk(16 * MIB, 8 * MIB);
    private static final ChunkItem C = chunk(24 * MIB, 8 * MIB);
    private static final ChunkItem D = chunk(TWO_63, 1L << 30);
    private static final ChunkItem E = chunk(-(4L << 30), 3L << 30);

    private static ChunkMap map(ChunkItem... chunks) throws BtrfsFormatException {
        return ChunkMap.of(List.of(chunks));
    }

    @Test
    void findAtStartsEndsAndGaps() throws BtrfsFormatException {
        ChunkMap m = map(C, E, A, D, B); // unsorted input
        assertEquals(List.of(A, B, C, D, E), m.chunks(), "sorted by unsigned start");
        assertEquals(5, m.size());

        assertNull(m.find(0), "before the first chunk");
        assertNull(m.find(MIB - 1), "just before the first chunk");
        assertSame(A, m.find(MIB));
        assertSame(A, m.find(MIB + 4096));
        assertSame(A, m.find(9 * MIB - 1));
        assertNull(m.find(9 * MIB), "end is exclusive");
        assertNull(m.find(12 * MIB), "gap");
        assertNull(m.find(16 * MIB - 1));
        assertSame(B, m.find(16 * MIB));
        assertSame(B, m.find(24 * MIB - 1));
        assertSame(C, m.find(24 * MIB), "adjacent chunk: the end of B is the start of C");
        assertSame(C, m.find(32 * MIB - 1));
        assertNull(m.find(32 * MIB));
        assertNull(m.find(Long.MAX_VALUE), "2^63 - 1, just below D");
        assertSame(D, m.find(TWO_63));
        assertSame(D, m.find(TWO_63 + (1L << 30) - 1));
        assertNull(m.find(TWO_63 + (1L << 30)));
        assertNull(m.find(-(4L << 30) - 1));
        assertSame(E, m.find(-(4L << 30)));
        assertSame(E, m.find(-(1L << 30) - 1));
        assertNull(m.find(-(1L << 30)), "after the last chunk");
        assertNull(m.find(-1L), "2^64 - 1");
    }

    @Test
    void chunkEndingAtTwoTo64() throws BtrfsFormatException {
        ChunkItem top = chunk(-(1L << 30), 1L << 30);
        ChunkMap m = map(A, top);
        assertSame(top, m.find(-1L));
        assertSame(top, m.find(-(1L << 30)));
        assertNull(m.find(-(1L << 30) - 1));
        assertNull(m.find(0));
        assertSame(A, m.find(MIB));
    }

    @Test
    void emptyAndSingleMaps() throws BtrfsFormatException {
        ChunkMap empty = map();
        assertEquals(0, empty.size());
        assertNull(empty.find(0));
        assertNull(empty.find(MIB));
        assertNull(empty.find(-1L));

        ChunkMap one = map(D);
        assertNull(one.find(0));
        assertNull(one.find(Long.MAX_VALUE));
        assertSame(D, one.find(TWO_63 + 1));
        assertNull(one.find(-1L));
    }

    @Test
    void findAgreesWithLinearScan() throws BtrfsFormatException {
        List<ChunkItem> chunks = List.of(A, B, C, D, E);
        ChunkMap m = ChunkMap.of(chunks);
        Random r = new Random(42);
        List<Long> probes = new ArrayList<>();
        for (ChunkItem c : chunks) {
            probes.addAll(List.of(c.start() - 1, c.start(), c.start() + 1, c.end() - 1, c.end(), c.end() + 1));
        }
        for (int i = 0; i < 2000; i++) {
            probes.add(r.nextLong());
            probes.add(r.nextLong() & ((64 * MIB) - 1));
        }
        for (long p : probes) {
            ChunkItem want = null;
            for (ChunkItem c : chunks) {
                if (c.contains(p)) {
                    want = c;
                }
            }
            assertSame(want, m.find(p), Long.toUnsignedString(p));
        }
    }

    @Test
    void duplicatesAreMerged() throws BtrfsFormatException {
        // The sys_chunk_array repeats chunk-tree items: the same chunk arrives twice, as distinct objects.
        ChunkMap m = ChunkMap.of(List.of(A, B, chunk(MIB, 8 * MIB), D, B, chunk(TWO_63, 1L << 30)));
        assertEquals(List.of(A, B, D), m.chunks());
        assertSame(A, m.find(MIB));
        assertSame(D, m.find(TWO_63));
    }

    @Test
    void aChunkWhoseStartIsAlreadyMappedIsIgnoredAsInBtrfs() throws BtrfsFormatException {
        // same start, different length: the earlier (sys_chunk_array) copy wins, whichever is larger
        assertSame(A, ChunkMap.of(List.of(A, chunk(MIB, 4 * MIB))).find(MIB));
        assertSame(A, ChunkMap.of(List.of(A, chunk(MIB, 1L << 40))).find(9 * MIB - 1));
        // starts inside an earlier one, or is contained in it
        assertEquals(List.of(A), ChunkMap.of(List.of(A, chunk(9 * MIB - 4096, 8 * MIB))).chunks());
        assertEquals(List.of(B), ChunkMap.of(List.of(B, chunk(17 * MIB, MIB))).chunks());
        // same range, other stripes: the first description is used
        ChunkItem other = new ChunkItem(MIB, 8 * MIB, 65536, ChunkItem.TYPE_METADATA, 0, new long[] {2}, new long[] {0});
        assertSame(other, ChunkMap.of(List.of(other, A)).find(MIB));
    }

    @Test
    void aChunkRunningIntoAMappedRangeIsRejected() {
        assertOverlap(A, chunk(MIB - 4096, 8192));
        // across 2^63: a chunk below 2^63 that reaches into D
        assertOverlap(D, chunk(TWO_63 - 4096, 8192));
        // a chunk ending at 2^64 that would cover a later-mapped range
        assertOverlap(chunk(-(1L << 29), 4096), chunk(-(1L << 30), 1L << 30));
    }

    private static void assertOverlap(ChunkItem first, ChunkItem later) {
        BtrfsFormatException e = assertThrows(BtrfsFormatException.class, () -> ChunkMap.of(List.of(first, later)));
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }

    @Test
    void adjacentChunksAreNotOverlapping() throws BtrfsFormatException {
        List<ChunkItem> chunks = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            chunks.add(chunk(i * 4 * MIB, 4 * MIB));
        }
        Collections.shuffle(chunks, new Random(1));
        ChunkMap m = ChunkMap.of(chunks);
        assertEquals(100, m.size());
        for (int i = 0; i < 100; i++) {
            assertEquals(i * 4 * MIB, m.find(i * 4 * MIB + 5).start());
            assertEquals(i * 4 * MIB, m.find(i * 4 * MIB + 4 * MIB - 1).start());
        }
        assertNull(m.find(400 * MIB));
    }

    @Test
    void serializableForBroadcast() throws Exception {
        ChunkMap m = map(A, B, D);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(m);
        }
        ChunkMap back;
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            back = (ChunkMap) in.readObject();
        }
        assertEquals(m.chunks(), back.chunks());
        assertEquals(B, back.find(20 * MIB));
        assertEquals(D, back.find(TWO_63 + 7));
        assertNull(back.find(10 * MIB));
    }
}
