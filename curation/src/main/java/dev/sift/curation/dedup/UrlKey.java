package dev.sift.curation.dedup;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The key under which two image URLs count as the same for exact dedup ({@code
 * sift.dedup.exact.url}): surrounding whitespace trimmed, scheme and host lower-cased (they are
 * case-insensitive), the scheme's default port and the fragment (never sent to a server) dropped.
 * Path and query are kept as written: servers may treat them case-sensitively, and two URLs that
 * differ there may serve different images. A string that does not parse as a URI is its own key,
 * trimmed.
 *
 * <p>Stateless and thread-safe.
 */
public final class UrlKey {
  private UrlKey() {}

  /** The key of {@code url}; null for null or blank. */
  public static String of(String url) {
    if (url == null) {
      return null;
    }
    String s = url.trim();
    if (s.isEmpty()) {
      return null;
    }
    URI uri;
    try {
      uri = new URI(s);
    } catch (URISyntaxException e) {
      return s;
    }
    if (uri.getScheme() == null || uri.getRawAuthority() == null || uri.getHost() == null) {
      return s;
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    int port = uri.getPort();
    if ((scheme.equals("http") && port == 80) || (scheme.equals("https") && port == 443)) {
      port = -1;
    }
    StringBuilder key = new StringBuilder(s.length());
    key.append(scheme).append("://");
    if (uri.getRawUserInfo() != null) {
      key.append(uri.getRawUserInfo()).append('@');
    }
    key.append(uri.getHost().toLowerCase(Locale.ROOT));
    if (port >= 0) {
      key.append(':').append(port);
    }
    String path = uri.getRawPath();
    key.append(path == null || path.isEmpty() ? "/" : path);
    if (uri.getRawQuery() != null) {
      key.append('?').append(uri.getRawQuery());
    }
    return key.toString();
  }
}
