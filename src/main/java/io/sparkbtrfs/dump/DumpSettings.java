package io.sparkbtrfs.dump;

import java.io.Serializable;
import java.util.Objects;

import io.sparkbtrfs.sanitize.SanitizeMode;

/**
 * How items are turned into payloads: fixed on the driver, identical on every executor (Spark broadcasts it).
 * {@code sanitize} also blanks the superblock's label; {@code transform} is the name transform it needs, built
 * once the volume is open; {@code bestEffort} keeps going past blocks that fail validation on every copy (dumped
 * as read, or zeroed if unreadable or when sanitizing).
 */
public record DumpSettings(Codec codec, SanitizeMode sanitize, LeafItemTransform transform, boolean bestEffort)
        implements Serializable {
    public DumpSettings {
        Objects.requireNonNull(codec, "codec");
        Objects.requireNonNull(sanitize, "sanitize");
        Objects.requireNonNull(transform, "transform");
    }

    /** Settings without sanitizing or best effort. */
    public DumpSettings(Codec codec) {
        this(codec, SanitizeMode.NONE, LeafItemTransform.NONE, false);
    }

    /** The same settings with names transformed by {@code t} (built once the volume is open: -ss reads it). */
    public DumpSettings withTransform(LeafItemTransform t) {
        return new DumpSettings(codec, sanitize, t, bestEffort);
    }

    /** Sanitized dumps blank the superblock's label. */
    public boolean clearLabel() {
        return sanitize.sanitizes();
    }
}
