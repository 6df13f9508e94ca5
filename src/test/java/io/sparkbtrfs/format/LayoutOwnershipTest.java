package io.sparkbtrfs.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.sparkbtrfs.testing.Fast;

/**
 * Guards issue 12's rule that {@code format} owns the on-disk layout: an offset or size of a btrfs structure, or of
 * the metadump index block, is written as a named constant or reached through a view accessor in {@code format} (the
 * index block: {@code image/MetadumpFormat}), never as a bare number in the code that uses it. A bare offset is
 * checked by nothing: the chained constants are checked once against btrfs's layout ({@link LayoutTest}), a
 * {@code put64(b, 201 + 8, devSize)} elsewhere only by luck, and a layout declared twice can drift apart.
 *
 * <p>The main sources are scanned with comments removed and string and char literals emptied; each finding is
 * reported as {@code path:line: code}. Outside the layout owners ({@code format/}, {@code image/MetadumpFormat.java})
 * it forbids:
 * <ul>
 * <li>little-endian field access: {@link LittleEndian} (static imports included) or a {@code ByteOrder};
 * <li>a {@code static final} {@code *_OFFSET} or {@code *_SIZE} set to a number;
 * <li>an array element at a literal offset, read or written: {@code b[at + 44]} (offset 8 or more, or hex),
 *     {@code index[20]};
 * <li>a ByteBuffer field at a literal offset: {@code buf.getLong(at + 16)}, {@code buf.putInt(96, n)};
 * <li>a copy, fill or comparison of a byte range at a literal offset: {@code arraycopy(u, 0, b, st + 16, 16)},
 *     {@code copyOfRange(bytes, 32, 48)} (two or more digits, or hex).
 * </ul>
 * Outside {@code format} it also forbids the superblock's distinctive offsets as numbers (201 dev_item, 299 label,
 * 555 cache_generation, 571 metadata_uuid, 595/611 remap root, 811 sys_chunk_array, 2859 backup roots; decimal or
 * hex) and the superblock mirror offsets (256 GiB; 64 MiB, which is also a plausible buffer size, outside
 * {@code image/ImageReader.java}, where it is one).
 *
 * <p>Heuristic by nature: it cannot tell {@code + 16} of a field from {@code + 16} of anything else, so it looks only
 * for the forms layout code takes, and small offsets (below 8) in an index are left alone ({@code out[at + 1]} is
 * ordinary arithmetic). {@link #patternsCatchTheOldCode} pins each pattern on lines the project had before
 * {@code format} owned the layout, and on ordinary code it must leave alone.
 */
@Fast
class LayoutOwnershipTest {
    private static final Path MAIN = Path.of("src", "main", "java", "io", "sparkbtrfs");
    /** The image layout's owner: the metadump index block's grammar and accessors. */
    private static final String IMAGE_GRAMMAR = "image/MetadumpFormat.java";
    /** Uses {@link LittleEndian} for what is not on disk: the byte order of a hashed secret. */
    private static final Set<String> NOT_LAYOUT = Set.of("sanitize/KeyedPermutation.java");
    /** 64 MiB as a buffer size: the most of a zstd frame decoded lazily. */
    private static final Set<String> BUFFER_64M = Set.of("image/ImageReader.java");

    /** A literal offset that is not ordinary arithmetic: two or more digits, or hex. */
    private static final String WIDE = "(?:\\d{2,}|0[xX][0-9a-fA-F]+)";
    /** A literal offset in an index or a buffer call: 8 or more (past any u64), or hex. */
    private static final String FIELD = "(?:[89]|\\d{2,}|0[xX][0-9a-fA-F]+)";

    /** A ByteBuffer reads btrfs fields only once told the byte order. */
    private static final Pattern BYTE_ORDER = Pattern.compile("\\bLittleEndian\\s*\\.|\\bByteOrder\\b");
    private static final Pattern LAYOUT_CONSTANT = Pattern.compile(
            "\\bstatic\\s+final\\s+(?:int|long|short)\\s+\\w*_(?:OFFSET|SIZE)\\s*=\\s*\\d");
    /** {@code b[x + 44]} read or written, or {@code index[20]} (but not {@code new byte[4096]}). */
    private static final Pattern RAW_INDEX = Pattern.compile("\\[[^\\[\\]]*\\+\\s*" + FIELD + "\\s*\\]"
            + "|\\b(?!(?:byte|short|int|long|char|boolean|float|double)\\b)[A-Za-z_]\\w*\\s*\\[\\s*" + WIDE + "\\s*\\]");
    /** {@code buf.getLong(at + 16)}, {@code buf.putInt(96, n)}: a buffer's field at a literal offset. */
    private static final Pattern BUFFER_FIELD = Pattern.compile(
            "\\.(?:get|put)(?:Short|Char|Int|Long)\\s*\\(\\s*(?:[^,()]*\\+\\s*)?" + FIELD + "\\s*[,)]");
    /** A byte range at a literal offset: {@code + 16} in any argument, or a wide literal as a top-level argument. */
    private static final Pattern RAW_COPY = Pattern.compile("\\b(?:arraycopy|copyOfRange|fill|equals|mismatch)\\s*\\("
            + "(?:[^;]*\\+\\s*" + WIDE + "|[^;()]*[,(]\\s*" + WIDE + "[lL]?\\s*[,)])");
    private static final Pattern SUPERBLOCK_OFFSET = Pattern.compile(
            "(?<![\\w.])(?:201|299|555|571|595|611|811|2859|0[xX]0*(?:[cC]9|12[bB]|22[bB]|23[bB]|253|263|32[bB]|[bB]2[bB]))"
            + "[lL]?(?![\\w.])|\\b256L?\\s*<<\\s*30\\b");
    private static final Pattern MIRROR_64M = Pattern.compile("\\b64L?\\s*<<\\s*20\\b");

    /** One main source file: path relative to {@link #MAIN} and its lines with comments and strings blanked. */
    private record Source(String path, List<String> lines) {
        boolean in(String pkg) {
            return path.startsWith(pkg + "/");
        }
    }

    private static List<Source> sources;

    @BeforeAll
    static void read() throws IOException {
        assertTrue(Files.isDirectory(MAIN), "run from the project directory: " + MAIN.toAbsolutePath());
        sources = new ArrayList<>();
        try (Stream<Path> files = Files.walk(MAIN)) {
            for (Path p : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                sources.add(source(MAIN.relativize(p).toString().replace('\\', '/'),
                        Files.readString(p, StandardCharsets.UTF_8)));
            }
        }
        assertTrue(sources.size() > 100, "found the main sources: " + sources.size());
    }

    @Test
    void fieldAccessOnlyInTheLayoutOwners() {
        List<String> found = new ArrayList<>();
        for (Source s : sources) {
            if (!s.in("format") && !s.path().equals(IMAGE_GRAMMAR)) {
                if (!NOT_LAYOUT.contains(s.path())) {
                    find(s, found, BYTE_ORDER);
                }
                find(s, found, LAYOUT_CONSTANT, RAW_INDEX, BUFFER_FIELD, RAW_COPY);
            }
        }
        assertEquals(List.of(), found, "on-disk layout outside format (and the index block outside "
                + IMAGE_GRAMMAR + "): add a named constant, view accessor or setter there");
    }

    @Test
    void superblockOffsetsOnlyInFormat() {
        List<String> found = new ArrayList<>();
        for (Source s : sources) {
            if (!s.in("format")) {
                find(s, found, SUPERBLOCK_OFFSET);
                if (!BUFFER_64M.contains(s.path())) {
                    find(s, found, MIRROR_64M);
                }
            }
        }
        assertEquals(List.of(), found, "superblock offsets outside format: use Superblock's constants and setters");
    }

    @Test
    void findingsNameFileAndLine() {
        Source s = source("restore/Example.java", "class Example {\n    // put64(b, 201 + 8, x)\n"
                + "    void f(byte[] b) { LittleEndian.put64(b, 201 + 8, 1); b[p + 44] = 1; }\n}\n");
        List<String> found = new ArrayList<>();
        find(s, found, BYTE_ORDER, RAW_INDEX, SUPERBLOCK_OFFSET);
        assertEquals(List.of(
                "restore/Example.java:3: void f(byte[] b) { LittleEndian.put64(b, 201 + 8, 1); b[p + 44] = 1; }",
                "restore/Example.java:3: void f(byte[] b) { LittleEndian.put64(b, 201 + 8, 1); b[p + 44] = 1; }",
                "restore/Example.java:3: void f(byte[] b) { LittleEndian.put64(b, 201 + 8, 1); b[p + 44] = 1; }"),
                found, "one finding per pattern, the comment on line 2 ignored");
    }

    @Test
    void patternsCatchTheOldCode() {
        assertTrue(BYTE_ORDER.matcher("LittleEndian.put64(b, 201 + 8, devSize);").find());
        assertTrue(BYTE_ORDER.matcher("io.sparkbtrfs.format.LittleEndian.u16(b, 196));").find());
        assertTrue(BYTE_ORDER.matcher("import static io.sparkbtrfs.format.LittleEndian.u64;").find());
        assertTrue(BYTE_ORDER.matcher("ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(at, m);").find());
        assertTrue(LAYOUT_CONSTANT.matcher("    private static final int LABEL_OFFSET = 299;").find());
        assertTrue(LAYOUT_CONSTANT.matcher("    static final int DEV_ITEM_SIZE = 98;").find());
        assertTrue(RAW_INDEX.matcher("        b[chunk + 44] = (byte) stripes;").find());
        assertTrue(RAW_INDEX.matcher("        b[p + 8] = (byte) Key.CHUNK_ITEM;").find());
        assertTrue(RAW_INDEX.matcher("if (leaf[data + 20] != 1) {").find());
        assertTrue(RAW_INDEX.matcher("int flag = index[20] & 0xFF;").find());
        assertTrue(RAW_INDEX.matcher("b[h + 0x11] = 0;").find());
        assertTrue(BUFFER_FIELD.matcher("long g = buf.getLong(at + 16);").find());
        assertTrue(BUFFER_FIELD.matcher("buf.putInt(96, n);").find());
        assertTrue(RAW_COPY.matcher("System.arraycopy(devUuid, 0, b, st + 16, 16);").find());
        assertTrue(RAW_COPY.matcher("return Arrays.copyOfRange(bytes, 571, 587);").find());
        assertTrue(RAW_COPY.matcher("Arrays.fill(b, SYS_ARRAY, SYS_ARRAY + 2048, (byte) 0);").find());
        assertTrue(SUPERBLOCK_OFFSET.matcher("    private static final int DEV_ITEM = 201;").find());
        assertTrue(SUPERBLOCK_OFFSET.matcher("int at = 0x32b;").find());
        assertTrue(SUPERBLOCK_OFFSET.matcher("MIRRORS = {65536L, 64L << 20, 256L << 30};").find());
        assertTrue(MIRROR_64M.matcher("new long[] {64L << 20, 256L << 30}").find());
        // ... and not on what is not layout
        assertFalse(RAW_INDEX.matcher("out[at + 1] = pairs[2 * r + 1]; a[i] = x[n - 1]; c[j + 7]++;").find());
        assertFalse(RAW_INDEX.matcher("byte[] b = new byte[4096]; long[][] m = new long[83][]; int[] c = new int[0x10];")
                .find());
        assertFalse(BUFFER_FIELD.matcher("conf.getLong(DELAY, 0); conf.getInt(FAIL_FIRST_ATTEMPT, -1);").find());
        assertFalse(RAW_COPY.matcher("out = Arrays.copyOf(out, Math.max(64, out.length * 2));").find());
        assertFalse(RAW_COPY.matcher("Arrays.fill(b, from, to, (byte) 0); System.arraycopy(a, 0, b, at + 1, n);").find());
        assertFalse(RAW_COPY.matcher("args[i].equals(x) && i + 1 < args.length").find());
        assertFalse(SUPERBLOCK_OFFSET.matcher("long x = 2011; double y = 201.5; int z = 8110; int w = 0x2011;").find());
        assertEquals("int a = 1; \nx = \"\" + '';\n", codeOnly("int a = 1; // 201\n/* 811 */x = \"299\" + '\\'';\n"));
    }

    private static Source source(String path, String java) {
        return new Source(path, List.of(codeOnly(java).split("\n", -1)));
    }

    private static void find(Source s, List<String> out, Pattern... patterns) {
        for (int i = 0; i < s.lines().size(); i++) {
            for (Pattern p : patterns) {
                Matcher m = p.matcher(s.lines().get(i));
                if (m.find()) {
                    out.add(s.path() + ":" + (i + 1) + ": " + s.lines().get(i).strip());
                }
            }
        }
    }

    /** {@code java} with comments removed and string and char literals emptied; line breaks kept. */
    static String codeOnly(String java) {
        StringBuilder out = new StringBuilder(java.length());
        int i = 0;
        int n = java.length();
        while (i < n) {
            char c = java.charAt(i);
            if (c == '/' && i + 1 < n && java.charAt(i + 1) == '/') {
                while (i < n && java.charAt(i) != '\n') {
                    i++;
                }
            } else if (c == '/' && i + 1 < n && java.charAt(i + 1) == '*') {
                int end = java.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                for (; i < end; i++) {
                    if (java.charAt(i) == '\n') {
                        out.append('\n');
                    }
                }
            } else if (c == '"' || c == '\'') {
                boolean block = c == '"' && java.startsWith("\"\"\"", i);
                String close = block ? "\"\"\"" : String.valueOf(c);
                out.append(close);
                i += close.length();
                while (i < n && !java.startsWith(close, i)) {
                    char d = java.charAt(i);
                    if (d == '\n') {
                        out.append('\n');
                    }
                    i += d == '\\' ? 2 : 1;
                }
                out.append(close);
                i += close.length();
            } else {
                out.append(c);
                i++;
            }
        }
        return out.toString();
    }
}
