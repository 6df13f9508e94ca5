package io.sparkbtrfs.sanitize;

import static io.sparkbtrfs.sanitize.SanitizeFixtures.DATA_TAGS;
import static io.sparkbtrfs.sanitize.SanitizeFixtures.LOG_TAGS;
import static io.sparkbtrfs.sanitize.SanitizeFixtures.MARKER;
import static io.sparkbtrfs.sanitize.SanitizeFixtures.TAGS;
import static io.sparkbtrfs.sanitize.SanitizeFixtures.bytes;
import static io.sparkbtrfs.sanitize.SanitizeFixtures.findInFile;
import static io.sparkbtrfs.sanitize.SanitizeFixtures.findInItems;
import static io.sparkbtrfs.sanitize.SanitizeFixtures.m;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.testing.RefTool;

/**
 * Issue 4, acceptance 1: a kernel-written filesystem whose file, directory, hardlink (INODE_EXTREF), xattr names
 * and values, symlink targets, inline contents, subvolume, nested subvolume and snapshot names, log-tree entries
 * and label all carry a marker ({@link SanitizeFixtures#canary}). Without sanitizing, every one of them that is
 * metadata is in the image (so the scan below can see them); after {@code -s} and after {@code -ss} none is in
 * any decompressed item payload of the image, nor anywhere in the file the reference restores from it.
 * Data checksums (EXTENT_CSUM) are zeroed too. The images of the clean filesystem and of the copy with a log
 * tree are both checked.
 */
class CanaryTest {
    /** A distinctive substring of the marker, so that a partly sanitized name is caught too. */
    private static final byte[] DISTINCT = bytes("CANARY");
    private static final long TREE_LOG = -6;
    private static final int NODESIZE = 4096;
    private static final int SUPERBLOCK = 65536;
    private static final int LABEL = 299;

    @BeforeAll
    static void sources() {
        Path clean = SanitizeFixtures.canary();
        Path log = SanitizeFixtures.canaryLog();
        assertEquals("0", RefTool.superFields(clean).get("log_root"));
        assertNotEquals("0", RefTool.superFields(log).get("log_root"), "the copy has no log tree");
        assertEquals("lbl-" + m("LABEL"), RefTool.superFields(clean).get("label"));
        String tree = RefTool.dumpTree(clean).requireOk().stdout();
        int extrefs = 0;
        for (String line : tree.split("\n")) {
            if (line.contains(" parent ") && line.contains("name: " + m("LINK"))) {
                extrefs++; // an INODE_EXTREF entry: "index N parent N namelen N name: ..."
            }
        }
        assertTrue(extrefs > 0, "no INODE_EXTREF entry with the marker: the hardlinks all fit in INODE_REF items");
        for (String subvolume : List.of("subvol-" + m("SUBV"), "nested-" + m("NEST"), "snap-" + m("SNAP"),
                "snapro-" + m("SNAPRO"))) {
            assertTrue(tree.contains("root ref key dirid 256 sequence") && tree.contains("name " + subvolume),
                    "no ROOT_REF for " + subvolume);
        }
    }

    private static Path source(String which) {
        return which.equals("clean") ? SanitizeFixtures.canary() : SanitizeFixtures.canaryLog();
    }

    private static List<SanitizeFixtures.Item> metadata(List<SanitizeFixtures.Item> items) {
        return items.stream().filter(it -> it.bytenr() != SUPERBLOCK).toList();
    }

    private static List<byte[]> csumItems(List<SanitizeFixtures.Item> items) {
        return metadata(items).stream()
                .flatMap(it -> Leaves.itemData(it.bytenr(), it.content(), NODESIZE, Leaves.EXTENT_CSUM).stream())
                .toList();
    }

    private static byte[] superblock(List<SanitizeFixtures.Item> items) {
        return items.stream().filter(it -> it.bytenr() == SUPERBLOCK).findFirst().orElseThrow().content();
    }

    /** The scans of the sanitized images are meaningful: the unsanitized image has every metadata secret. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"clean", "log"})
    void everySecretIsVisibleWithoutSanitizing(String which) throws IOException {
        Path src = source(which);
        Path img = SanitizeFixtures.image(src, "-c", "9");
        List<SanitizeFixtures.Item> items = SanitizeFixtures.items(img);
        for (String tag : TAGS) {
            if (DATA_TAGS.contains(tag)) {
                // file data: on the device, never in an image (inline extents are zeroed, sanitized or not)
                assertFalse(findInFile(src, bytes(m(tag))).isEmpty(), m(tag) + " is not on the device");
                assertTrue(findInItems(items, bytes(m(tag))).isEmpty(), m(tag) + " (file data) in the image");
            } else {
                assertFalse(findInItems(items, bytes(m(tag))).isEmpty(), m(tag) + " is not in the unsanitized image");
            }
        }
        if (which.equals("log")) {
            List<Leaves.Found> logNames = metadata(items).stream()
                    .flatMap(it -> Leaves.names(it.bytenr(), it.content(), NODESIZE).stream())
                    .filter(f -> f.owner() == TREE_LOG).toList();
            for (String tag : LOG_TAGS) {
                if (!tag.equals("LOGV")) {
                    assertTrue(logNames.stream().anyMatch(f -> new String(f.name()).contains(m(tag))),
                            m(tag) + " is not in a log tree leaf");
                }
            }
        }
        assertTrue(csumItems(items).stream().anyMatch(c -> !Arrays.equals(c, new byte[c.length])),
                "no non-zero data checksum in the unsanitized image");
        assertFalse(findInFile(SanitizeFixtures.restored(img), bytes(MARKER)).isEmpty(),
                "the marker is not in the unsanitized restore");
    }

    private static final Pattern SUMMARY = Pattern.compile("sanitized (\\d+) names \\((\\d+) distinct\\), (\\d+) xattr "
            + "values, (\\d+) data checksum items");

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"-s, clean", "-ss, clean", "-s, log", "-ss, log"})
    void noSecretSurvives(String mode, String which) throws IOException {
        Path src = source(which);
        Path img = SanitizeFixtures.image(src, mode, "-c", "9", "--seed", "7");
        List<SanitizeFixtures.Item> items = SanitizeFixtures.items(img);
        assertEquals(List.of(), findInItems(items, bytes(MARKER)), "marker in the image payloads");
        assertEquals(List.of(), findInItems(items, DISTINCT), "part of the marker in the image payloads");
        for (String tag : TAGS) {
            assertEquals(List.of(), findInItems(items, bytes(m(tag).substring(MARKER.length() - 3))),
                    "the end of the marker and the tag " + tag + " in the image");
        }

        assertArrayEquals(new byte[256], Arrays.copyOfRange(superblock(items), LABEL, LABEL + 256), "label");
        List<byte[]> csums = csumItems(items);
        assertFalse(csums.isEmpty(), "no EXTENT_CSUM item in the image");
        for (byte[] c : csums) {
            assertArrayEquals(new byte[c.length], c, "data checksums not zeroed");
        }

        Matcher s = SUMMARY.matcher(SanitizeFixtures.stderr(img));
        assertTrue(s.find(), "no summary line: " + SanitizeFixtures.stderr(img));
        System.out.printf("%s %s: %s%n", mode, which, SanitizeFixtures.stderr(img).lines()
                .filter(l -> l.startsWith("sanitized")).findFirst().orElse(""));
        assertTrue(Long.parseLong(s.group(1)) > 1000, "names sanitized: " + s.group());
        assertTrue(Long.parseLong(s.group(2)) > 500, "distinct names: " + s.group());
        assertTrue(Long.parseLong(s.group(3)) > 10, "xattr values: " + s.group());
        assertEquals(csums.size(), Long.parseLong(s.group(4)), "data checksum items: " + s.group());

        Path restored = SanitizeFixtures.restored(img);
        assertEquals(List.of(), findInFile(restored, bytes(MARKER), DISTINCT), "marker in the restored filesystem");
        String label = RefTool.superFields(restored).get("label");
        assertTrue(label == null || label.isEmpty(), "label of the restored filesystem: " + label);
    }

    /** The unsanitized and the sanitized image hold the same items at the same places: only bytes inside change. */
    @Test
    void sanitizingChangesNoAddressOrSize() throws IOException {
        List<SanitizeFixtures.Item> plain = SanitizeFixtures.items(SanitizeFixtures.image(SanitizeFixtures.canary(),
                "-c", "9"));
        List<SanitizeFixtures.Item> ss = SanitizeFixtures.items(SanitizeFixtures.image(SanitizeFixtures.canary(),
                "-ss", "-c", "9", "--seed", "7"));
        assertEquals(plain.size(), ss.size());
        for (int i = 0; i < plain.size(); i++) {
            assertEquals(plain.get(i).bytenr(), ss.get(i).bytenr(), "item " + i);
            assertEquals(plain.get(i).content().length, ss.get(i).content().length, "item " + i);
        }
    }
}
