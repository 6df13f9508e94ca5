package io.sparkbtrfs.chain;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.conf.Configuration;

import io.sparkbtrfs.dump.Codec;
import io.sparkbtrfs.dump.DumpSettings;
import io.sparkbtrfs.dump.DumpSummary;
import io.sparkbtrfs.dump.InProcessRunner;
import io.sparkbtrfs.image.DeltaHeader;
import io.sparkbtrfs.store.ImageOutput;
import io.sparkbtrfs.store.OutputFile;

/**
 * {@code compact BASE DELTA... TARGET}: the standalone image of the chain's newest moment, byte for byte the full
 * dump that the newest delta's plan and options describe (same clusters, compression, frames), its contents
 * gathered from the chain ({@link ChainContent}) and written by the dump's own part writers.
 */
public final class Compactor {
    private Compactor() {
    }

    /** Where the spill file goes: next to the target (a local file), else the temporary directory. */
    static Path spillDirectory(String target) {
        Path t = io.sparkbtrfs.store.FileIdentity.localPath(target);
        Path parent = t == null ? null : t.toAbsolutePath().getParent();
        return parent != null && java.nio.file.Files.isDirectory(parent) ? parent
                : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** The dump settings the newest delta records. */
    static DumpSettings settings(DeltaHeader h) {
        return new DumpSettings(Codec.of(h.compressLevel(), h.zstdLevel(), h.frameBytes()));
    }

    /**
     * Writes the chain's image to {@code target} under the output contract (nothing left there on failure); links
     * and target may be URIs, on the file systems that {@code hadoop} configures.
     */
    public static DumpSummary compact(List<String> images, String target, int threads,
            java.util.function.Supplier<Configuration> hadoop) throws ChainException {
        Chain chain = Chain.open(images, new io.sparkbtrfs.store.ImageFiles(hadoop));
        List<OutputFile.Guarded> guarded = new ArrayList<>();
        for (String image : images) {
            guarded.add(new OutputFile.Guarded("a link of the chain", image));
        }
        try (ChainContent content = ChainContent.gather(chain, spillDirectory(target));
                ImageOutput output = ImageOutput.prepare(target, hadoop, "",
                        OutputFile.imageModeFor(images), guarded, false)) {
            DumpSummary summary = new InProcessRunner(threads).write(content.items(), chain.header().nodesize(),
                    content.plan(), settings(chain.header()), 0,
                    output, null);
            output.commit();
            return summary;
        } catch (IOException e) {
            throw new ChainException(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }
}
