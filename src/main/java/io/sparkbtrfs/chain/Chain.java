package io.sparkbtrfs.chain;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.sparkbtrfs.dump.ItemPlan;
import io.sparkbtrfs.dump.PlanCodec;
import io.sparkbtrfs.image.DeltaHeader;
import io.sparkbtrfs.image.ImageFormatException;
import io.sparkbtrfs.image.ImageHead;
import io.sparkbtrfs.store.ImageFiles;

/**
 * A full image and the deltas that follow it, each made against the one before: checked link by link from the
 * heads of the images alone (a few clusters each), before anything is copied. Link 1 is the base.
 */
public final class Chain {
    /** One image of the chain. */
    public record Link(int number, String name, ImageHead head) {
        public String describe() {
            return "link " + number + " (" + name + ")";
        }
    }

    private final List<Link> links;
    private final ItemPlan plan;
    private final ImageFiles files;

    private Chain(List<Link> links, ItemPlan plan, ImageFiles files) {
        this.links = List.copyOf(links);
        this.plan = plan;
        this.files = files;
    }

    /** How the links are read (local paths, URIs). */
    ImageFiles files() {
        return files;
    }

    public List<Link> links() {
        return links;
    }

    public Link newest() {
        return links.get(links.size() - 1);
    }

    /** The newest delta's header. */
    public DeltaHeader header() {
        return newest().head().header();
    }

    /** The plan of a full dump at the newest link's moment. */
    public ItemPlan plan() {
        return plan;
    }

    /**
     * Opens and checks the chain {@code images} (oldest first: a full image, then at least one delta), local paths
     * or URIs read through {@code files}.
     */
    public static Chain open(List<String> images, ImageFiles files) throws ChainException {
        if (images.size() < 2) {
            throw new ChainException("a chain is a base image and at least one delta");
        }
        List<Link> links = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            String name = images.get(i);
            Link link = new Link(i + 1, name, head(files, name, i + 1, i == images.size() - 1));
            check(links.isEmpty() ? null : links.get(links.size() - 1), link);
            links.add(link);
        }
        Link newest = links.get(links.size() - 1);
        ItemPlan plan;
        try {
            plan = PlanCodec.decode(newest.head().plan(), newest.head().header().nodesize(), newest.describe());
        } catch (PlanCodec.PlanException e) {
            throw new ChainException(e.getMessage());
        }
        return new Chain(links, plan, files);
    }

    private static ImageHead head(ImageFiles files, String name, int number, boolean withPlan)
            throws ChainException {
        try (InputStream in = new java.io.BufferedInputStream(files.open(name), 1 << 16)) {
            return ImageHead.read(in, name, withPlan);
        } catch (NoSuchFileException e) {
            throw new ChainException("link " + number + ": cannot open " + name + ": " + (e.getReason() == null
                    ? "no such file" : e.getReason()));
        } catch (IOException e) {
            throw new ChainException("link " + number + ": cannot read " + name + ": " + e.getMessage());
        } catch (ImageFormatException e) {
            throw new ChainException("link " + number + ": " + e.getMessage());
        }
    }

    /** {@code link} must be a delta made against {@code previous} (or, first, a full image). */
    private static void check(Link previous, Link link) throws ChainException {
        ImageHead h = link.head();
        if (previous == null) {
            if (h.isDelta()) {
                throw new ChainException(link.describe() + " is a delta (against generation "
                        + Long.toUnsignedString(h.header().baseGeneration()) + "): a chain begins with a full image");
            }
            return;
        }
        if (!h.isDelta()) {
            throw new ChainException(link.describe() + " is a full image: only the first link of a chain is");
        }
        ImageHead p = previous.head();
        DeltaHeader d = h.header();
        if (!Arrays.equals(d.fsid(), p.superblock().fsid())) {
            throw new ChainException(link.describe() + " is of another filesystem than " + previous.describe());
        }
        if (d.baseGeneration() != p.generation() || d.baseSuperblockCrc() != p.superblockCrc()) {
            String why = d.baseGeneration() != p.generation()
                    ? "it was made against generation " + Long.toUnsignedString(d.baseGeneration()) + ", "
                            + previous.describe() + " is of generation " + Long.toUnsignedString(p.generation())
                    : "it was made against another image of generation " + Long.toUnsignedString(p.generation());
            throw new ChainException(link.describe() + " does not follow " + previous.describe() + ": " + why
                    + " (links out of order, or one missing)");
        }
        if (p.isDelta() && (p.header().sanitize() != d.sanitize()
                || p.header().seedFingerprint() != d.seedFingerprint())) {
            throw new ChainException(link.describe() + " was sanitized otherwise than " + previous.describe()
                    + " (mode or secret)");
        }
    }
}
