package io.sparkbtrfs.sanitize;

import static io.sparkbtrfs.sanitize.SanitizeFixtures.MARKER;
import static io.sparkbtrfs.sanitize.SanitizeFixtures.bytes;
import static io.sparkbtrfs.sanitize.SanitizeFixtures.findInItems;
import static io.sparkbtrfs.sanitize.SanitizeFixtures.m;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 11, item 10 and acceptance 5: {@code mkfs.btrfs --rootdir} leaves stale memory (bytes of other names, of
 * file contents) in the transid field of the dir entries it writes. A sanitized image keeps no byte of a name
 * anywhere: not in the name fields (substituted), not in any other field. Checked over the decompressed items of
 * {@code -s} and {@code -ss} dumps, uncompressed, zlib and zstd.
 */
class StaleBytesTest {
    private static final int NODESIZE = 16384;
    private static final int SUPERBLOCK = 65536;
    /** Fragments of names this long are looked for in every field but the name fields. */
    private static final int FRAGMENT = 6;
    private static final List<String> TAGS = List.of("DIR", "FILE", "XNAME", "SYMN", "LINK");

    private static List<SanitizeFixtures.Item> metadata(Path img) throws IOException {
        return SanitizeFixtures.items(img).stream().filter(it -> it.bytenr() != SUPERBLOCK).toList();
    }

    private static List<Leaves.DirEntry> staleTransids(List<SanitizeFixtures.Item> items) {
        return items.stream().flatMap(it -> Leaves.dirEntries(it.bytenr(), it.content(), NODESIZE).stream())
                .filter(e -> Long.compareUnsigned(e.transid(), e.generation()) > 0).toList();
    }

    private static long key(byte[] b, int from, int len) {
        long k = 0;
        for (int i = 0; i < len; i++) {
            k = k << 8 | (b[from + i] & 0xFF);
        }
        return k;
    }

    /** Every {@code len}-byte fragment of every string, packed into a long. */
    private static Set<Long> fragments(List<String> strings, int len) {
        Set<Long> out = new HashSet<>();
        for (String s : strings) {
            byte[] b = bytes(s);
            for (int i = 0; i + len <= b.length; i++) {
                out.add(key(b, i, len));
            }
        }
        return out;
    }

    /** Where a fragment occurs outside the name fields of the image's leaves (at most 10). */
    private static List<String> fragmentsOutsideNames(List<SanitizeFixtures.Item> items, Set<Long> fragments,
            int len) {
        List<String> hits = new ArrayList<>();
        for (SanitizeFixtures.Item it : items) {
            byte[] c = it.content();
            boolean[] names = Leaves.nameFields(it.bytenr(), c, NODESIZE);
            for (int i = 0; i + len <= c.length && hits.size() < 10; i++) {
                if (!names[i] && !names[i + len - 1] && fragments.contains(key(c, i, len))) {
                    hits.add("@" + it.bytenr() + "+" + i + ": "
                            + new String(c, i, len, StandardCharsets.ISO_8859_1));
                }
            }
        }
        return hits;
    }

    /** The fixture shows the problem: stale transids that hold bytes of names. */
    @Test
    void mkfsLeavesNameBytesInTransids() throws IOException {
        List<SanitizeFixtures.Item> items = metadata(SanitizeFixtures.image(SanitizeFixtures.rootdirCanary(), "-c", "0"));
        List<Leaves.DirEntry> stale = staleTransids(items);
        assertFalse(stale.isEmpty(), "no dir entry with a transid past its leaf's generation");
        Set<Long> threes = fragments(SanitizeFixtures.rootdirCanaryNames(), 3);
        long withNameBytes = stale.stream().filter(e -> {
            byte[] t = new byte[8];
            io.sparkbtrfs.format.LittleEndian.put64(t, 0, e.transid());
            for (int i = 0; i + 3 <= 8; i++) {
                if (threes.contains(key(t, i, 3))) {
                    return true;
                }
            }
            return false;
        }).count();
        System.out.printf("unsanitized: %d stale transids, %d with 3 bytes of a name%n", stale.size(), withNameBytes);
        assertTrue(withNameBytes > 0, "no stale transid holds bytes of a name: the fixture does not show item 10");
        assertFalse(fragmentsOutsideNames(items, fragments(SanitizeFixtures.rootdirCanaryNames(), FRAGMENT), FRAGMENT)
                .isEmpty(), "without sanitizing, name fragments are in other fields");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"-s, -c 0", "-s, -c 9", "-s, --compress zstd", "-ss, -c 0", "-ss, -c 9", "-ss, --compress zstd"})
    void noByteOfANameSurvives(String mode, String compression) throws IOException {
        List<String> opts = new ArrayList<>(List.of(mode, "--seed", "11"));
        opts.addAll(List.of(compression.split(" ")));
        List<SanitizeFixtures.Item> items = metadata(SanitizeFixtures.image(SanitizeFixtures.rootdirCanary(),
                opts.toArray(String[]::new)));
        assertEquals(List.of(), staleTransids(items).stream().limit(10).map(e -> "block " + e.block() + " type "
                + e.type() + " transid 0x" + Long.toHexString(e.transid()) + " > generation " + e.generation())
                .toList(), "dir entries with a transid past their leaf's generation");
        assertEquals(List.of(), findInItems(items, bytes(MARKER)), "marker");
        assertEquals(List.of(), findInItems(items, bytes("CANARY")), "part of the marker");
        List<String> names = SanitizeFixtures.rootdirCanaryNames();
        assertEquals(List.of(), fragmentsOutsideNames(items, fragments(names, FRAGMENT), FRAGMENT),
                FRAGMENT + "-byte fragments of names outside the name fields");
        List<String> tagged = TAGS.stream().map(t -> m(t)).toList();
        assertEquals(List.of(), fragmentsOutsideNames(items, fragments(tagged, 4), 4),
                "4-byte fragments of the marker outside the name fields");
    }
}
