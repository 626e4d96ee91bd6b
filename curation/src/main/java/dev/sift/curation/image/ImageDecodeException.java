package dev.sift.curation.image;

/**
 * The bytes are not a readable image. The message carries the decoder's own reason (or what was
 * wrong with the bytes), ready to be written as the detail of a {@code decode_error} reject.
 */
public final class ImageDecodeException extends Exception {
  private static final long serialVersionUID = 1L;

  public ImageDecodeException(String message) {
    super(message);
  }

  public ImageDecodeException(String message, Throwable cause) {
    super(message, cause);
  }
}
