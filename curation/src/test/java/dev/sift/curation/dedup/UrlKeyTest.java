package dev.sift.curation.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class UrlKeyTest {
  @Test
  void caseOfSchemeAndHostDefaultPortAndFragmentDoNotMatter() {
    String key = UrlKey.of("https://example.com/img/a.jpg?w=300");
    assertThat(UrlKey.of("  HTTPS://Example.COM:443/img/a.jpg?w=300#top ")).isEqualTo(key);
    assertThat(UrlKey.of("http://example.com:80")).isEqualTo(UrlKey.of("http://example.com/"));
  }

  @Test
  void pathQueryAndOtherPortsDo() {
    String key = UrlKey.of("https://example.com/img/a.jpg?w=300");
    assertThat(UrlKey.of("https://example.com/IMG/a.jpg?w=300")).isNotEqualTo(key);
    assertThat(UrlKey.of("https://example.com/img/a.jpg?w=600")).isNotEqualTo(key);
    assertThat(UrlKey.of("https://example.com:8443/img/a.jpg?w=300")).isNotEqualTo(key);
    assertThat(UrlKey.of("http://example.com/img/a.jpg?w=300")).isNotEqualTo(key);
  }

  @Test
  void unparsableAndBlankUrls() {
    assertThat(UrlKey.of(" not a url with spaces ")).isEqualTo("not a url with spaces");
    assertThat(UrlKey.of("   ")).isNull();
    assertThat(UrlKey.of(null)).isNull();
    assertThat(UrlKey.of("data:image/png;base64,AAAA")).isEqualTo("data:image/png;base64,AAAA");
  }
}
