package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/**
 * v1 free-space-cache files are data extents the image must carry (spec §3.3): a kernel-written
 * filesystem mounted with space_cache=v1 (block groups ≥ 100 MiB, or the kernel writes no cache) dumps
 * byte-identically, in both enumeration modes.
 */
class SpaceCacheV1Test {

    @Test
    void spaceCacheExtentsAreDumpedAsTheReferenceDoes(@TempDir Path dir) throws Exception {
        RefTool.assumeAvailable();
        KernelFs.assumeAvailable();
        KernelFs.Result made = KernelFs.builder(dir).name("v1cache").size(4L << 30)
                .mkfs(m -> m.runtimeFeatures("^free-space-tree")).mountOptions("space_cache=v1").build();
        Path fs = made.image();
        int cacheExtents = RefTool.countLines(RefTool.dumpTree(fs, "-t", "1").requireOk().stdout(), "EXTENT_DATA");
        assertTrue(cacheExtents > 0, "the kernel wrote no v1 space cache");
        for (String[] opts : new String[][] {{"-c", "0"}, {"-w", "-c", "9"}}) {
            Path ref = dir.resolve("ref.img");
            Path ours = dir.resolve("ours.img");
            RefTool.dump(fs, ref, opts).requireOk();
            Ours.dump(fs, ours, opts).requireOk();
            assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(ours), String.join(" ", opts));
            Path restored = dir.resolve("restored.img");
            RefTool.restore(ours, restored).requireOk();
            Proc.Result check = RefTool.check(restored);
            assertEquals(0, check.exitCode(), check.output());
            Files.delete(restored);
        }
    }
}
