package io.sparkbtrfs.inspect;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

import io.sparkbtrfs.format.Superblock;
import io.sparkbtrfs.format.Uuid;

/**
 * {@code btrfs-image info IMAGE [--json]} and {@code btrfs-image verify IMAGE}: what an image holds, and
 * whether every cluster decodes and every tree block checks out (exit 0) or not (exit 1, each problem
 * with its file offset).
 */
public final class InspectCommand {
    private InspectCommand() {
    }

    /** Whether {@code args} ask for one of these subcommands. */
    public static boolean handles(String[] args) {
        return args.length > 0 && (args[0].equals("info") || args[0].equals("verify"));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean json = false;
        String image = null;
        String against = null;
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--json")) {
                json = true;
            } else if (args[i].equals("--against") && args[0].equals("verify") && i + 1 < args.length) {
                against = args[++i];
            } else if (image == null && !args[i].startsWith("--")) {
                image = args[i];
            } else {
                err.println("ERROR: " + args[0] + ": unexpected argument '" + args[i] + "'");
                err.println("usage: btrfs-image " + args[0] + " IMAGE"
                        + (args[0].equals("info") ? " [--json]" : " [--against SOURCE]"));
                return 1;
            }
        }
        if (image == null) {
            err.println("ERROR: " + args[0] + ": no image given");
            return 1;
        }
        Path path = Path.of(image);
        if (!Files.isRegularFile(path)) {
            err.println("ERROR: cannot open " + image + ": no such file");
            return 1;
        }
        ImageInspector.Report r;
        try {
            r = ImageInspector.inspect(path);
        } catch (IOException e) {
            err.println("ERROR: cannot read " + image + ": " + e.getMessage());
            return 1;
        }
        if (r.clusters() == 0) {
            err.println("ERROR: " + r.unreadable()); // not a metadump image at all
            return 1;
        }
        if (args[0].equals("info")) {
            if (r.unreadable() != null) {
                // The counts would describe part of the image only; verify lists everything that is wrong.
                err.println("ERROR: " + r.unreadable());
                return 1;
            }
            out.print(json ? json(r) : human(r));
            return 0;
        }
        for (String p : r.problems()) {
            out.println(p);
        }
        if (against != null && r.problems().isEmpty()) {
            try {
                SourceComparison.Result c = SourceComparison.compare(path, against);
                for (String d : c.differences()) {
                    out.println(d);
                }
                if (c.differing() > 0) {
                    err.println("ERROR: " + image + ": " + c.differing() + " of " + c.items() + " items differ from "
                            + against);
                    return 1;
                }
                out.printf("%s: matches %s: %d items, %d tree blocks compared%n", image, against, c.items(),
                        c.blocks());
            } catch (IOException | io.sparkbtrfs.format.BtrfsFormatException
                    | io.sparkbtrfs.image.ImageFormatException e) {
                err.println("ERROR: cannot compare with " + against + ": " + e.getMessage());
                return 1;
            }
        }
        if (r.problems().isEmpty()) {
            out.printf("%s: OK: %d clusters, %d items, %d tree blocks checked%n", image, r.clusters(), r.items(),
                    r.treeBlocks());
            return 0;
        }
        err.println("ERROR: " + image + ": " + r.problems().size() + " problem(s) found");
        return 1;
    }

    static String human(ImageInspector.Report r) {
        StringBuilder b = new StringBuilder();
        b.append("image:        ").append(r.image()).append('\n');
        b.append("version:      ").append(r.version()).append('\n');
        b.append("compression:  ").append(compression(r.compress())).append('\n');
        b.append("clusters:     ").append(r.clusters()).append('\n');
        b.append("items:        ").append(r.items()).append('\n');
        b.append("bytes:        ").append(r.storedBytes()).append(" stored, ").append(r.contentBytes())
                .append(" of content\n");
        Superblock sb = r.superblock();
        if (sb != null) {
            b.append("fsid:         ").append(Uuid.text(sb.fsid())).append('\n');
            b.append("label:        ").append(sb.label().isEmpty() ? "(empty: none, or sanitized)" : sb.label())
                    .append('\n');
            b.append("generation:   ").append(sb.generation()).append('\n');
            b.append("nodesize:     ").append(sb.nodesize()).append('\n');
            b.append("csum type:    ").append(sb.checksumType().displayName()).append('\n');
            b.append("devices:      ").append(Long.toUnsignedString(sb.numDevices())).append(" (image holds devid ")
                    .append(sb.devid()).append("'s superblock)\n");
            b.append("log tree:     ").append(sb.logRoot() != 0 ? "yes" : "no").append('\n');
        }
        b.append("tree blocks:  ").append(r.treeBlocks()).append('\n');
        for (Map.Entry<Long, Long> e : r.blocksByOwner().entrySet()) {
            b.append(String.format(Locale.ROOT, "  %-20s %d%n", ImageInspector.treeName(e.getKey()), e.getValue()));
        }
        b.append("problems:     ").append(r.problems().size()).append(r.problems().isEmpty() ? "" : " (run verify)")
                .append('\n');
        return b.toString();
    }

    static String json(ImageInspector.Report r) {
        StringBuilder b = new StringBuilder("{");
        b.append("\"image\":").append(quote(r.image()));
        b.append(",\"version\":").append(quote(r.magic() == io.sparkbtrfs.image.MetadumpFormat.MAGIC_V1 ? "v1"
                : r.magic() == io.sparkbtrfs.image.MetadumpFormat.MAGIC_ZSTD ? "zstd"
                : r.magic() == io.sparkbtrfs.image.MetadumpFormat.MAGIC_ZSTD_STREAM ? "zstd-stream" : "v0"));
        b.append(",\"compression\":").append(quote(switch (r.compress()) {
            case io.sparkbtrfs.image.MetadumpFormat.COMPRESS_ZLIB -> "zlib";
            case io.sparkbtrfs.image.MetadumpFormat.COMPRESS_ZSTD -> "zstd";
            case io.sparkbtrfs.image.MetadumpFormat.COMPRESS_ZSTD_STREAM -> "zstd-stream";
            default -> "none";
        }));
        b.append(",\"clusters\":").append(r.clusters()).append(",\"items\":").append(r.items());
        b.append(",\"stored_bytes\":").append(r.storedBytes()).append(",\"content_bytes\":").append(r.contentBytes());
        Superblock sb = r.superblock();
        if (sb != null) {
            b.append(",\"fsid\":").append(quote(Uuid.text(sb.fsid()))).append(",\"label\":").append(quote(sb.label()));
            b.append(",\"generation\":").append(sb.generation()).append(",\"nodesize\":").append(sb.nodesize());
            b.append(",\"csum_type\":").append(quote(sb.checksumType().displayName()));
            b.append(",\"num_devices\":").append(Long.toUnsignedString(sb.numDevices()));
            b.append(",\"log_tree\":").append(sb.logRoot() != 0);
        }
        b.append(",\"tree_blocks\":").append(r.treeBlocks()).append(",\"trees\":{");
        boolean first = true;
        for (Map.Entry<Long, Long> e : r.blocksByOwner().entrySet()) {
            b.append(first ? "" : ",").append(quote(ImageInspector.treeName(e.getKey()))).append(':').append(e.getValue());
            first = false;
        }
        b.append("},\"problems\":").append(r.problems().size()).append("}\n");
        return b.toString();
    }

    private static String compression(int flag) {
        return switch (flag) {
            case io.sparkbtrfs.image.MetadumpFormat.COMPRESS_ZLIB -> "zlib";
            case io.sparkbtrfs.image.MetadumpFormat.COMPRESS_ZSTD -> "zstd (a frame per item)";
            case io.sparkbtrfs.image.MetadumpFormat.COMPRESS_ZSTD_STREAM -> "zstd (frames over runs of clusters)";
            default -> "none";
        };
    }

    private static String quote(String s) {
        return io.sparkbtrfs.dump.BlockProblem.quote(s);
    }
}
