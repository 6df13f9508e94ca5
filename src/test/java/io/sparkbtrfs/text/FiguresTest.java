package io.sparkbtrfs.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;

import org.junit.jupiter.api.Test;

import io.sparkbtrfs.testing.Fast;

@Fast
class FiguresTest {

    @Test
    void tenthsRoundHalfUpWithAPoint() {
        assertEquals("0.0", Figures.tenths(0));
        assertEquals("0.1", Figures.tenths(0.05));
        assertEquals("0.1", Figures.tenths(0.149));
        assertEquals("12.0", Figures.tenths(11.96));
        assertEquals("-3.5", Figures.tenths(-3.46));
        assertEquals("0.0", Figures.tenths(-0.01));
        assertEquals("1234567.9", Figures.tenths(1234567.89));
    }

    @Test
    void tenthsDoNotFollowTheLocale() {
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertEquals("2.5", Figures.tenths(2.5));
            assertEquals("1.5 KiB", Figures.bytes(1536));
        } finally {
            Locale.setDefault(before);
        }
    }

    @Test
    void bytesInBinaryUnits() {
        assertEquals("0 B", Figures.bytes(0));
        assertEquals("1023 B", Figures.bytes(1023));
        assertEquals("1.0 KiB", Figures.bytes(1024));
        assertEquals("57.0 MiB", Figures.bytes(57L << 20));
        assertEquals("1.5 GiB", Figures.bytes(3L << 29));
        assertEquals("8.0 EiB", Figures.bytes(Long.MAX_VALUE));
    }
}
