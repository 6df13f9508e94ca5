package io.sparkbtrfs.inspect;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.DataFormatException;

import org.apache.hadoop.conf.Configuration;

import io.sparkbtrfs.device.BlockReadException;
import io.sparkbtrfs.device.Volume;
import io.sparkbtrfs.dump.BlockScrubber;
import io.sparkbtrfs.dump.LeafItemTransform;
import io.sparkbtrfs.format.BtrfsFormatException;
import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageReader;
import io.sparkbtrfs.image.ImageVersion;

/**
 * {@code verify IMAGE --against SOURCE}: every item of the image compared with what a dump of SOURCE
 * would hold at the same address (the superblock verbatim, tree blocks scrubbed as the dump scrubs them,
 * data as read). Meant for unsanitized images; a sanitized image differs in every name by design.
 */
final class SourceComparison {
    private static final int MAX_LISTED = 50;

    private SourceComparison() {
    }

    record Result(long items, long blocks, long differing, List<String> differences) {
    }

    static Result compare(Path image, String source) throws IOException, BtrfsFormatException, ImageFormatException {
        List<String> diffs = new ArrayList<>();
        long items = 0;
        long blocks = 0;
        long differing = 0;
        try (Volume v = Volume.open(List.of(source), new Configuration());
                InputStream in = new java.io.BufferedInputStream(Files.newInputStream(image), 1 << 20)) {
            int nodesize = v.superblock().nodesize();
            BlockScrubber scrubber = new BlockScrubber(nodesize, v.superblock().checksumType(), LeafItemTransform.NONE);
            ImageReader reader = new ImageReader(in, image.toString());
            for (ImageReader.Cluster c = reader.next(); c != null; c = reader.next()) {
                for (int i = 0; i < c.size(); i++) {
                    items++;
                    long bytenr = c.bytenrs()[i];
                    String where = "cluster at offset " + c.offset() + ", item " + i;
                    byte[] content;
                    try {
                        content = c.content(i, ImageVersion.largestItemLimit());
                    } catch (DataFormatException e) {
                        differing++;
                        note(diffs, where + ": " + e.getMessage());
                        continue;
                    }
                    byte[] expected;
                    if (bytenr == Superblock.PRIMARY_OFFSET) {
                        expected = v.rawPrimarySuperblock();
                    } else if (content.length % nodesize == 0 && looksLikeTreeBlocks(content, bytenr, nodesize)) {
                        expected = new byte[content.length];
                        for (int off = 0; off < content.length; off += nodesize) {
                            blocks++;
                            try {
                                System.arraycopy(v.readTreeBlock(bytenr + off), 0, expected, off, nodesize);
                                scrubber.scrub(expected, off);
                            } catch (BlockReadException e) {
                                note(diffs, where + ", block " + Long.toUnsignedString(bytenr + off) + ": source: "
                                        + e.getMessage());
                            }
                        }
                    } else {
                        expected = new byte[content.length];
                        try {
                            v.readLogical(bytenr, expected, 0, content.length);
                        } catch (BlockReadException e) {
                            note(diffs, where + ": source: " + e.getMessage());
                        }
                    }
                    if (!Arrays.equals(content, expected)) {
                        differing++;
                        note(diffs, where + " (logical " + Long.toUnsignedString(bytenr) + ", " + content.length
                                + " bytes) differs from the source at byte " + Arrays.mismatch(content, expected));
                    }
                }
            }
        }
        return new Result(items, blocks, differing, diffs);
    }

    private static boolean looksLikeTreeBlocks(byte[] content, long bytenr, int nodesize) {
        return io.sparkbtrfs.format.TreeBlock.bytenr(content, 0) == bytenr;
    }

    private static void note(List<String> diffs, String line) {
        if (diffs.size() < MAX_LISTED) {
            diffs.add(line);
        }
    }
}
