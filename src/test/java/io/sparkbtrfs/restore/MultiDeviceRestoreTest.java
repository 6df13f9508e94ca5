package io.sparkbtrfs.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.sparkbtrfs.cli.Main;
import io.sparkbtrfs.testing.KernelFs;
import io.sparkbtrfs.testing.Mkfs;
import io.sparkbtrfs.testing.Ours;
import io.sparkbtrfs.testing.Proc;
import io.sparkbtrfs.testing.RefTool;

/**
 * Acceptance 3 of restore, and {@code -o}: a kernel-written two-device RAID1 filesystem, dumped by us,
 * restored onto one target (chunks remapped, dev tree and items rewritten) and with {@code -m} onto two
 * (every copy through the RAID1 mapping): btrfs check reports nothing in either case.
 */
class MultiDeviceRestoreTest {
    @TempDir
    static Path shared;
    static Path image;

    @BeforeAll
    static void dumpRaid1() {
        RefTool.assumeAvailable();
        KernelFs.assumeAvailable();
        KernelFs.Raid1 raid = KernelFs.raid1(shared.resolve("raid1"), 512L << 20, null);
        assertEquals("2", RefTool.superFields(raid.image1()).get("num_devices"));
        image = shared.resolve("raid1.metadump");
        Ours.dump(raid.image1(), image, "-c", "9", "--device", raid.image2().toString()).requireOk();
    }

    private static int restore(String... args) {
        return Main.run(args, System.out, System.err);
    }

    @Test
    void ontoOneTargetChecksClean(@TempDir Path dir) {
        Path target = dir.resolve("one.img");
        assertEquals(0, restore("-r", image.toString(), target.toString()));
        RestoredTargets.assertClean(RefTool.check(target));
        assertEquals("1", RefTool.superFields(target).get("num_devices"));
        assertEquals(RefTool.superFields(target).get("total_bytes"), RefTool.superFields(target).get("dev_item.total_bytes"));
    }

    @Test
    void ontoTwoTargetsWithMChecksClean(@TempDir Path dir) {
        Path a = dir.resolve("dev1.img");
        Path b = dir.resolve("dev2.img");
        assertEquals(0, restore("-r", "-m", image.toString(), a.toString(), b.toString()));
        assertEquals("1", RefTool.superFields(a).get("dev_item.devid"));
        assertEquals("2", RefTool.superFields(b).get("dev_item.devid"));
        assertNotEquals(RefTool.superFields(a).get("dev_item.uuid"), RefTool.superFields(b).get("dev_item.uuid"));
        List<String> loops = new ArrayList<>();
        try {
            loops.add(KernelFs.attachLoop(a));
            loops.add(KernelFs.attachLoop(b));
            for (String l : loops) {
                Proc.run("btrfs", "device", "scan", l);
            }
            Proc.Result check = RefTool.check(Path.of(loops.get(0)));
            RestoredTargets.assertClean(check);
        } finally {
            for (String l : loops) {
                Proc.run("btrfs", "device", "scan", "--forget", l);
                KernelFs.detachLoop(l);
            }
        }
    }

    @Test
    void oldRestoreGivesAFilesystemBtrfsProgsOpens(@TempDir Path dir) throws IOException {
        Path fs = Mkfs.image(dir.resolve("fs.img")).size(256L << 20).run();
        Path img = dir.resolve("fs.metadump");
        Ours.dump(fs, img, "-c", "1").requireOk();
        Path target = dir.resolve("old.img");
        assertEquals(0, restore("-r", "-o", img.toString(), target.toString()));
        RestoredTargets.assertClean(RefTool.check(target));
        String flags = RefTool.superFields(target).get("flags");
        assertEquals(0x200000000L, Long.decode(flags.split(" ")[0]) & 0x200000000L, "METADUMP flag: " + flags);
        // The reference's -o ends in "invalid chunk length" (its bug 13).
        assertNotEquals(0, RefTool.restore(img, dir.resolve("ref-old.img"), "-o").exitCode());
    }
}
