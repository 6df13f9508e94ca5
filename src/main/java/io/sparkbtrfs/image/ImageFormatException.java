package io.sparkbtrfs.image;

/** A metadump image that does not follow the format; the message names the file offset. */
public class ImageFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public ImageFormatException(String message) {
        super(message);
    }
}
