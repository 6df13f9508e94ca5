package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;
import io.sparkbtrfs.testing.SparseFiles;

/**
 * A v0 item may be larger than twice the merge limit (512 KiB) when it is one v1 space-cache data extent: the
 * kernel sizes a block group's cache file at 64 KiB per 256 MiB of block group, in one preallocated extent, and
 * the dumper never splits an extent (spec §2.6), so a block group of more than 2 GiB (RAID0/10/5/6 data over
 * several devices, a raised sysfs chunk_size) gives a valid image with a larger item. The reference restores
 * it (no size limit in phase 2). Simulated here by appending a cluster with one 1 MiB item at the start of the
 * filesystem's first data chunk to a real image, raw and compressed; the targets must equal the reference's.
 */
class RestoreLargeDataItemTest {
    private static final int ITEM = 1 << 20;

    @TempDir
    static Path shared;
    static Path fs;
    static long dataChunk;

    @BeforeAll
    static void makeFilesystem() {
        RefTool.assumeAvailable();
        SparseFiles.assumeAvailable();
        fs = Mkfs.image(shared.resolve("fs.img")).size(256L << 20).nodesize(16384).run();
        String chunks = RefTool.dumpTree(fs, "-t", "chunk").requireOk().stdout();
        Matcher m = Pattern.compile("CHUNK_ITEM (\\d+)\\) itemoff \\d+ itemsize \\d+\\n\\s+length (\\d+) .*type DATA")
                .matcher(chunks);
        assertTrue(m.find(), "no data chunk in:\n" + chunks);
        dataChunk = Long.parseLong(m.group(1));
        assertTrue(Long.parseLong(m.group(2)) >= ITEM, "data chunk too small");
    }

    @Test
    void rawItemLargerThan512KiB(@TempDir Path dir) throws IOException {
        assertSameAsReference(dir, "0");
    }

    @Test
    void compressedItemLargerThan512KiB(@TempDir Path dir) throws IOException {
        assertSameAsReference(dir, "9");
    }

    private static void assertSameAsReference(Path dir, String level) throws IOException {
        Path dumped = dir.resolve("dumped.img");
        Ours.dump(fs, dumped, "-c", level).requireOk();
        byte[] image = Files.readAllBytes(dumped);
        List<MetadumpFile.Cluster> clusters = MetadumpFile.parse(image);
        int compress = clusters.get(0).compress();
        byte[] content = "free space cache page ".repeat(ITEM / 22 + 1).substring(0, ITEM)
                .getBytes(StandardCharsets.US_ASCII);
        List<List<MetadumpFile.Entry>> entries = MetadumpFile.entries(image);
        List<MetadumpFile.Entry> extra = new ArrayList<>();
        extra.add(new MetadumpFile.Entry(dataChunk, compress == 1 ? MetadumpFile.zlib(content, 9) : content));
        entries.add(extra);
        Path img = dir.resolve("large-item.img");
        Files.write(img, MetadumpFile.build(MetadumpFile.MAGIC_V0, compress, entries));

        Path ref = dir.resolve("ref.target");
        Proc.Result theirs = RestoredTargets.referenceRestore(img, ref);
        assertEquals(0, theirs.exitCode(), theirs.describe());
        Path ours = dir.resolve("ours.target");
        Ours.Run mine = RestoredTargets.ourRestore(img, ours);
        assertEquals(0, mine.status(), mine.stderr());
        RestoredTargets.assertSameBytes(ref, ours, "-c " + level);
        RestoredTargets.assertOurMirrors(ours, "-c " + level);
    }
}
