package dev.sift.curation;

/** Test tables spell awkward characters as Java escapes: "\\u00e9", "\\t", "\\n", "\\r". */
public final class Escapes {
  private Escapes() {}

  public static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(i + 1);
        if (n == 'u' && i + 5 < s.length()) {
          out.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
          i += 5;
          continue;
        }
        if (n == 't' || n == 'n' || n == 'r') {
          out.append(n == 't' ? '\t' : n == 'n' ? '\n' : '\r');
          i++;
          continue;
        }
      }
      out.append(c);
    }
    return out.toString();
  }
}
