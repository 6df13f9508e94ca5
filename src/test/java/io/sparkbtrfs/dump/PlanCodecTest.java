package io.sparkbtrfs.dump;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.format.LittleEndian;
import io.sparkbtrfs.image.MetadumpFormat;
import io.sparkbtrfs.testing.Fast;

/** The full dump's plan as a delta stores it: round trip, and hostile plans refused with the item at fault. */
@Fast
class PlanCodecTest {
    private static final int N = 16384;

    private static ItemPlan plan() {
        PlanBuilder b = new PlanBuilder(MetadumpFormat.MAX_PENDING_V0);
        b.addSuperblock(65536, 4096);
        b.add(30L << 20, N, false);
        b.add((30L << 20) + N, N, false);
        b.add(1L << 30, N, false);
        b.add(2L << 30, 65536, true);
        return b.build();
    }

    @Test
    void roundTrip() throws PlanCodec.PlanException {
        byte[] b = PlanCodec.encode(plan());
        assertEquals(4 * PlanCodec.ITEM_BYTES, b.length);
        ItemPlan back = PlanCodec.decode(b, N, "p");
        assertArrayEquals(b, PlanCodec.encode(back));
        assertEquals(2 * N, back.length(1));
        assertEquals(ItemPlan.DATA, back.kind(3));
    }

    private static String refused(byte[] b) {
        return assertThrows(PlanCodec.PlanException.class, () -> PlanCodec.decode(b, N, "d.img")).getMessage();
    }

    @Test
    void hostilePlans() {
        byte[] good = PlanCodec.encode(plan());
        assertTrue(refused(java.util.Arrays.copyOf(good, good.length - 1)).contains("not whole items"));
        byte[] b = good.clone();
        LittleEndian.put32(b, PlanCodec.ITEM_BYTES + 8, N + 1);
        assertTrue(refused(b).contains("plan item 1 (offset 13 of the plan): length 16385"));
        b = good.clone();
        LittleEndian.put64(b, 2 * PlanCodec.ITEM_BYTES, 7);
        assertTrue(refused(b).contains("plan item 2 (offset 26 of the plan): address 7 (among the records)"));
        b = good.clone();
        b[3 * PlanCodec.ITEM_BYTES + 12] = 9;
        assertTrue(refused(b).contains("unknown kind 9"));
        b = good.clone();
        b[12] = ItemPlan.METADATA;
        assertTrue(refused(b).contains("plan item 0"));
        b = good.clone();
        LittleEndian.put32(b, 3 * PlanCodec.ITEM_BYTES + 8, 1L << 31);
        assertTrue(refused(b).contains("length"));
    }
}
