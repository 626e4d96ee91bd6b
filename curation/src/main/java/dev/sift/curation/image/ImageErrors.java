package dev.sift.curation.image;

import java.util.Locale;

/** How image failures are worded in reject details, the same for probing and decoding. */
final class ImageErrors {
  private ImageErrors() {}

  /** The exception's class and message, or its class alone when it has no message. */
  static String describe(Throwable e) {
    String message = e.getMessage();
    String name = e.getClass().getSimpleName();
    return message == null || message.isBlank() ? name : name + ": " + message;
  }

  /** The first bytes in hex, for a file that is no image format Sift knows. */
  static String magic(byte[] bytes) {
    StringBuilder hex = new StringBuilder(" (first bytes:");
    for (int i = 0; i < Math.min(8, bytes.length); i++) {
      hex.append(String.format(Locale.ROOT, " %02x", bytes[i] & 0xff));
    }
    return hex.append(')').toString();
  }
}
