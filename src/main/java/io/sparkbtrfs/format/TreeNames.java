package io.sparkbtrfs.format;

/** Short names of the well-known trees, by tree id (a ROOT_ITEM's objectid, a block header's owner). */
public final class TreeNames {
    private TreeNames() {
    }

    public static String of(long id) {
        return switch ((int) id) {
            case 1 -> "root";
            case 2 -> "extent";
            case 3 -> "chunk";
            case 4 -> "dev";
            case 5 -> "fs";
            case 7 -> "csum";
            case 8 -> "quota";
            case 9 -> "uuid";
            case 10 -> "free-space";
            case 11 -> "block-group";
            case 12 -> "raid-stripe";
            case 13 -> "remap";
            case -6 -> "log";
            case -7 -> "log-root";
            case -8 -> "reloc";
            case -9 -> "data-reloc";
            default -> id >= 256 ? "subvolume " + id : "tree " + id;
        };
    }
}
