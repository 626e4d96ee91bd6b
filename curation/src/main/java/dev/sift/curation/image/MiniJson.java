package dev.sift.curation.image;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader for configuration files such as {@code preprocessor_config.json}:
 * objects become {@link Map}, arrays {@link List}, numbers {@link Double}, plus {@link String},
 * {@link Boolean} and {@code null}. It exists because {@code curation} has no JSON library at run
 * time (Spark's Jackson is relocated in the shaded jar). Stateless.
 */
final class MiniJson {
  private final String s;
  private int p;

  private MiniJson(String s) {
    this.s = s;
  }

  /** Parses one JSON document; throws {@link IllegalArgumentException} with the offset on error. */
  static Object parse(String text) {
    MiniJson j = new MiniJson(text);
    Object v = j.value();
    j.space();
    if (j.p != text.length()) {
      throw j.error("trailing characters");
    }
    return v;
  }

  private Object value() {
    space();
    if (p >= s.length()) {
      throw error("unexpected end");
    }
    char c = s.charAt(p);
    switch (c) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        return number();
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> map = new LinkedHashMap<>();
    p++;
    space();
    if (peek() == '}') {
      p++;
      return map;
    }
    while (true) {
      space();
      if (peek() != '"') {
        throw error("expected a key");
      }
      String key = string();
      space();
      expect(':');
      map.put(key, value());
      space();
      if (peek() == ',') {
        p++;
      } else {
        expect('}');
        return map;
      }
    }
  }

  private List<Object> array() {
    List<Object> list = new ArrayList<>();
    p++;
    space();
    if (peek() == ']') {
      p++;
      return list;
    }
    while (true) {
      list.add(value());
      space();
      if (peek() == ',') {
        p++;
      } else {
        expect(']');
        return list;
      }
    }
  }

  private String string() {
    StringBuilder b = new StringBuilder();
    p++;
    while (p < s.length()) {
      char c = s.charAt(p++);
      if (c == '"') {
        return b.toString();
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      if (p >= s.length()) {
        break;
      }
      char e = s.charAt(p++);
      switch (e) {
        case 'n' -> b.append('\n');
        case 't' -> b.append('\t');
        case 'r' -> b.append('\r');
        case 'b' -> b.append('\b');
        case 'f' -> b.append('\f');
        case 'u' -> {
          if (p + 4 > s.length()) {
            throw error("bad unicode escape");
          }
          b.append((char) Integer.parseInt(s.substring(p, p + 4), 16));
          p += 4;
        }
        default -> b.append(e);
      }
    }
    throw error("unterminated string");
  }

  private Double number() {
    int start = p;
    while (p < s.length() && "+-0123456789.eE".indexOf(s.charAt(p)) >= 0) {
      p++;
    }
    try {
      return Double.valueOf(s.substring(start, p));
    } catch (NumberFormatException e) {
      p = start;
      throw error("expected a value");
    }
  }

  private Object literal(String word, Object value) {
    if (!s.startsWith(word, p)) {
      throw error("expected " + word);
    }
    p += word.length();
    return value;
  }

  private void expect(char c) {
    if (peek() != c) {
      throw error("expected '" + c + "'");
    }
    p++;
  }

  private char peek() {
    return p < s.length() ? s.charAt(p) : '\0';
  }

  private void space() {
    while (p < s.length() && Character.isWhitespace(s.charAt(p))) {
      p++;
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("invalid JSON at offset " + p + ": " + what);
  }
}
