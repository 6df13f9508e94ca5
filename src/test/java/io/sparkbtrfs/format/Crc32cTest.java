package io.sparkbtrfs.format;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.testing.Fast;

@Fast
class Crc32cTest {
    @Test
    void nameHashMatchesTheRegisterDefinitionAtEveryLength() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int len = 0; len <= 300; len++) {
            byte[] b = new byte[len + 7];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) rnd.nextInt(256);
            }
            assertEquals(Crc32c.update(Crc32c.NAME_HASH_SEED, b, 3, len), Crc32c.nameHash(b, 3, len), "length " + len);
        }
    }

    @Test
    void nameHashOfKnownNames() {
        // btrfs inspect-internal dump-tree of a directory holding "default" shows DIR_ITEM key offset 0x8dbfc2d2
        byte[] d = "default".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0x8dbfc2d2, Crc32c.nameHash(d, 0, d.length));
    }
}
