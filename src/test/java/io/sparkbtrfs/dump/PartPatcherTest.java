package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.testing.Fast;
import io.sparkbtrfs.testing.SyntheticItems;

/** Patched parts, concatenated as they are (HDFS concat), give the bytes of the streaming assembly. */
@Fast
class PartPatcherTest {
    @Test
    void concatenatedPatchedPartsEqualTheAssembledImage() throws IOException {
        SyntheticItems items = SyntheticItems.random(300, 5); // 4 clusters: 83 + 83 + 83 + 51
        List<int[]> splits = List.of(new int[] {0, 4}, new int[] {0, 3, 4}, new int[] {0, 1, 2, 3, 4},
                new int[] {0, 0, 3, 3, 4, 4}, new int[] {0, 2, 4}, new int[] {0, 1, 1, 4}, new int[] {0, 2, 2, 3, 4});
        for (int[] bounds : splits) {
            List<PartResult> parts = new ArrayList<>();
            List<byte[]> bytes = new ArrayList<>();
            for (int i = 0; i + 1 < bounds.length; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                parts.add(items.writePart(i, bounds[i], bounds[i + 1], out));
                bytes.add(out.toByteArray());
            }
            ByteArrayOutputStream want = new ByteArrayOutputStream();
            ImageAssembler.assemble(parts, i -> new ByteArrayInputStream(bytes.get(i)), want);

            List<PartPatcher.Patch> patches = PartPatcher.plan(parts);
            assertEquals(parts.stream().filter(p -> p.length() > 0).count(), patches.size(), "empty parts skipped");
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            for (PartPatcher.Patch p : patches) {
                ByteArrayOutputStream one = new ByteArrayOutputStream();
                long n = PartPatcher.patch(p, new ByteArrayInputStream(bytes.get(p.part())), one);
                assertEquals(p.length(), n);
                assertEquals(got.size(), p.base(), "base offset of part " + p.part());
                got.writeBytes(one.toByteArray());
            }
            assertArrayEquals(want.toByteArray(), got.toByteArray(), Arrays.toString(bounds));
        }
    }

    @Test
    void partsOfTheWrongLengthAreRejected() throws IOException {
        SyntheticItems items = SyntheticItems.random(200, 9);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PartResult part = items.writePart(0, 0, 3, out);
        PartPatcher.Patch patch = PartPatcher.plan(List.of(part)).get(0);
        byte[] b = out.toByteArray();
        assertThrows(IOException.class, () -> PartPatcher.patch(patch,
                new ByteArrayInputStream(Arrays.copyOf(b, b.length - 1)), new ByteArrayOutputStream()));
        assertThrows(IOException.class, () -> PartPatcher.patch(patch,
                new ByteArrayInputStream(Arrays.copyOf(b, b.length + 1)), new ByteArrayOutputStream()));
    }
}
