package io.sparkbtrfs.sanitize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.sparkbtrfs.testing.Fast;

/**
 * Issue 4, acceptance 3: with {@code --seed} the image is a pure function of the source (same bytes on a second
 * run, and whatever the number of Spark partitions, so that no executor needs another's state); without it every
 * run draws a fresh secret, so substitutes differ between runs and cannot be computed from a guessed name.
 */
class SeedTest {
    private static final int NODESIZE = 4096;

    @Test
    void sameSeedSameImage() throws IOException {
        Path src = SanitizeFixtures.canary();
        Path a = SanitizeFixtures.image(src, "-ss", "-c", "9", "--seed", "7");
        Path b = SanitizeFixtures.dump(src, "-ss", "-c", "9", "--seed", "7");
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b), "-ss --seed 7 twice");
        Path s1 = SanitizeFixtures.image(src, "-s", "-c", "9", "--seed", "7");
        Path s2 = SanitizeFixtures.dump(src, "-s", "-c", "9", "--seed", "0x7");
        assertArrayEquals(Files.readAllBytes(s1), Files.readAllBytes(s2), "-s --seed 7 and --seed 0x7");
    }

    /**
     * Issue 11, item 11: the secret from a private file ({@code --seed-file}) or from the environment
     * ({@code BTRFS_IMAGE_SEED}, read by a child JVM as a user would run it) gives the image {@code --seed} gives.
     */
    @Test
    void seedFileAndEnvironmentGiveTheImageOfSeed() throws IOException {
        Path src = SanitizeFixtures.canary();
        Path seeded = SanitizeFixtures.image(src, "-ss", "-c", "9", "--seed", "7");
        Path file = SanitizeFixtures.dir().resolve("seed-7");
        Files.writeString(file, "7\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path fromFile = SanitizeFixtures.dump(src, "-ss", "-c", "9", "--seed-file", file.toString());
        assertArrayEquals(Files.readAllBytes(seeded), Files.readAllBytes(fromFile), "--seed-file");

        Path fromEnv = SanitizeFixtures.dir().resolve("from-env.img");
        List<String> cmd = new ArrayList<>(List.of("env", io.sparkbtrfs.cli.OptionParser.SEED_ENV + "=0x7"));
        cmd.addAll(io.sparkbtrfs.testing.Ours.command());
        cmd.addAll(List.of("--no-progress", "-ss", "-c", "9", src.toString(), fromEnv.toString()));
        io.sparkbtrfs.testing.Proc.run(cmd, java.time.Duration.ofMinutes(3)).requireOk();
        assertArrayEquals(Files.readAllBytes(seeded), Files.readAllBytes(fromEnv), SanitizeFixtures.dir()
                + ": " + io.sparkbtrfs.cli.OptionParser.SEED_ENV);
    }

    @Test
    void partitionsDoNotMatter() throws IOException {
        Path src = SanitizeFixtures.canary();
        Path one = SanitizeFixtures.dump(src, "-ss", "-w", "-c", "9", "--seed", "7", "--partitions", "1");
        Path five = SanitizeFixtures.dump(src, "-ss", "-w", "-c", "9", "--seed", "7", "--partitions", "5");
        int clusters = SanitizeFixtures.clusters(one);
        assertTrue(clusters >= 5, "only " + clusters + " clusters: the partitions would not all get work");
        assertArrayEquals(Files.readAllBytes(one), Files.readAllBytes(five), "-w, 1 vs 5 partitions");
    }

    /** (block, slot, entry) to name, over every leaf of an image. */
    /**
     * Names by the key of their item (tree, objectid, type, offset, entry): DIR_INDEX and INODE_REF only, whose keys
     * do not depend on the name. DIR_ITEMs of short names are re-keyed under {@code -ss}, and leaves re-sorted, so a
     * slot may hold another name in another run (xattr names of other namespaces are kept by design anyway).
     */
    private static Map<String, byte[]> names(Path img) throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        for (SanitizeFixtures.Item it : SanitizeFixtures.items(img)) {
            if (it.bytenr() != 65536) {
                for (Leaves.Found f : Leaves.names(it.bytenr(), it.content(), NODESIZE)) {
                    if (f.type() == Leaves.DIR_INDEX || f.type() == Leaves.INODE_REF) {
                        out.put(f.owner() + "/" + f.objectid() + "/" + f.type() + "/" + f.offset() + "/" + f.entry(),
                                f.name());
                    }
                }
            }
        }
        return out;
    }

    @Test
    void withoutSeedEveryRunDrawsAFreshSecret() throws IOException {
        Path src = SanitizeFixtures.canary();
        Map<String, byte[]> plain = names(SanitizeFixtures.image(src, "-c", "9"));
        Path a = SanitizeFixtures.dump(src, "-ss", "-c", "9");
        Path b = SanitizeFixtures.dump(src, "-ss", "-c", "9");
        assertFalse(Arrays.equals(Files.readAllBytes(a), Files.readAllBytes(b)), "two runs without --seed agree");
        Map<String, byte[]> na = names(a);
        Map<String, byte[]> nb = names(b);
        Map<String, byte[]> seeded = names(SanitizeFixtures.image(src, "-ss", "-c", "9", "--seed", "7"));
        assertEquals(plain.keySet(), na.keySet(), "the same names at the same places");
        int compared = 0;
        List<String> same = new ArrayList<>();
        for (var e : plain.entrySet()) {
            byte[] orig = e.getValue();
            byte[] x = na.get(e.getKey());
            if (orig.length < 9 || Arrays.equals(orig, x)) {
                continue; // kept names ("default"), and short names with few alternatives
            }
            compared++;
            if (Arrays.equals(x, nb.get(e.getKey())) || Arrays.equals(x, seeded.get(e.getKey()))) {
                same.add(new String(orig, StandardCharsets.ISO_8859_1));
            }
        }
        assertTrue(compared > 1000, "compared " + compared);
        assertTrue(same.isEmpty(), same.size() + " of " + compared + " names got the same substitute in two runs: "
                + same.subList(0, Math.min(10, same.size())));
    }

    /** The substitute of a name depends on the secret: without it, hashing a guessed name confirms nothing. */
    @Fast
    @ParameterizedTest(name = "collisions={0}")
    @ValueSource(booleans = {false, true})
    void substitutesDependOnTheSecret(boolean collisions) {
        SplittableRandom r = new SplittableRandom(11);
        String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789._-";
        NameSanitizer a = new NameSanitizer(collisions, 7);
        NameSanitizer a2 = (NameSanitizer) new NameSanitizer(collisions, 7).forTask();
        NameSanitizer b = new NameSanitizer(collisions, 8);
        int from = collisions ? 9 : 4; // -ss: shorter names have few same-hash alternatives to choose from
        for (int len = from; len <= 255; len++) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < len; i++) {
                sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            byte[] name = sb.toString().getBytes(StandardCharsets.US_ASCII);
            byte[] sa = a.compute(name, 0);
            assertArrayEquals(sa, a2.compute(name, 0), "same secret, other instance: " + sb);
            assertFalse(Arrays.equals(sa, b.compute(name, 0)), "secrets 7 and 8 give the same substitute for " + sb);
        }
    }
}
