/**
 * Test support: real btrfs filesystems and the real btrfs-progs reference tools, no mocks.
 *
 * <ul>
 *   <li>{@link io.sparkbtrfs.testing.TreeGenerator}: seeded directory trees for {@code mkfs.btrfs --rootdir};</li>
 *   <li>{@link io.sparkbtrfs.testing.Mkfs}: builder around {@code mkfs.btrfs} producing sparse image files;</li>
 *   <li>{@link io.sparkbtrfs.testing.KernelFs}: kernel-written filesystems via loop mounts (subvolumes,
 *       snapshots, reflinks, compression, log trees, v1 space cache, two-device RAID1);</li>
 *   <li>{@link io.sparkbtrfs.testing.RefTool}: {@code btrfs-image}, {@code btrfs check}, {@code dump-tree},
 *       {@code dump-super} with timeouts;</li>
 *   <li>{@link io.sparkbtrfs.testing.Proc}: process runner with timeout and an immutable result.</li>
 * </ul>
 *
 * Findings with btrfs-progs 6.2 and kernel 6.18 (the versions this was written against):
 * <ul>
 *   <li>mkfs prints its "NOTE: several default settings have changed in version 5.15" block on stderr even with
 *       {@code -q}; the exit code is what matters.</li>
 *   <li>mkfs {@code --rootdir} keeps the host's inode numbers (e.g. 2146637), copies xattrs, creates hardlinks
 *       (INODE_EXTREF once the INODE_REF item would overflow a leaf) and symlinks; it does not compress.</li>
 *   <li>{@code --mixed} refuses nodesize != sectorsize; mixed alone picks nodesize = sectorsize.
 *       {@code --csum} accepts crc32c, xxhash (xxhash64), sha256, blake2 (blake2b).</li>
 *   <li>{@code -R ^free-space-tree} gives neither free space tree nor v1 cache at mkfs time; the v1 cache
 *       (FREE_SPACE items in the root tree, cache inodes with data extents) is written by the kernel when mounted
 *       with {@code space_cache=v1}, and only for block groups of at least 100 MiB (so the image must be about
 *       1.5 GiB or more; {@link io.sparkbtrfs.testing.KernelFs.Builder#spaceCacheV1} uses 2 GiB, sparse).</li>
 *   <li>A log tree survives only in a copy of the backing file taken while mounted after an fsync: unmounting
 *       commits and clears {@code log_root}; a global {@code sync} (any process on the machine) commits too.
 *       Fsyncs touching files/dirs created in the running transaction may fall back to a full commit, so the
 *       default log writes prepare their files, commit, then modify and fsync.</li>
 *   <li>btrfs-progs open one device of a RAID1 pair alone with "warning, device 2 is missing" (check and
 *       btrfs-image still exit 0).</li>
 * </ul>
 */
package io.sparkbtrfs.testing;
