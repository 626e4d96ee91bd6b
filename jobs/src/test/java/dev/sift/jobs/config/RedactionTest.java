package dev.sift.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sift.jobs.SiftUserException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

class RedactionTest {
  private static final String R = Redaction.REDACTED;

  private static Map<String, String> settings() {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("spark.hadoop.fs.s3a.secret.key", "s3cr3t");
    s.put("spark.hadoop.fs.s3a.access.key", "AKIAEXAMPLE");
    s.put("spark.hadoop.fs.s3a.session.token", "tok");
    s.put("spark.ssl.keyStorePassword", "pw");
    s.put("spark.executor.extraJavaOptions", "-Dmy.password=pw2");
    s.put("spark.sql.shuffle.partitions", "8");
    return s;
  }

  private static SiftConf conf(String... sets) {
    return ConfigLoader.load(null, List.of(sets), Map.of());
  }

  @Test
  void sparksDefaultHidesKeysAndValuesThatLookSecretAndKeepsTheRest() {
    Map<String, String> out = Redaction.forRun(conf(), new SparkConf(false)).apply(settings());
    assertThat(out)
        .containsExactly(
            Map.entry("spark.hadoop.fs.s3a.secret.key", R),
            Map.entry("spark.hadoop.fs.s3a.access.key", R),
            Map.entry("spark.hadoop.fs.s3a.session.token", R),
            Map.entry("spark.ssl.keyStorePassword", R),
            // Spark redacts on the value too: a password inside JVM options.
            Map.entry("spark.executor.extraJavaOptions", R),
            Map.entry("spark.sql.shuffle.partitions", "8"));
    assertThat(Redaction.sparkDefault()).contains("secret").contains("password");
  }

  @Test
  void theUsersPatternReplacesSparksDefaultSiftsSettingFirst() {
    SparkConf session = new SparkConf(false).set(Redaction.REGEX_KEY, "(?i)partitions");
    Map<String, String> bySession = Redaction.forRun(conf(), session).apply(settings());
    assertThat(bySession.get("spark.sql.shuffle.partitions")).isEqualTo(R);
    assertThat(bySession.get("spark.hadoop.fs.s3a.secret.key")).isEqualTo("s3cr3t");

    SiftConf own = conf("spark.redaction.regex=(?i)secret|shuffle");
    Map<String, String> bySift = Redaction.forRun(own, session).apply(settings());
    assertThat(bySift.get("spark.sql.shuffle.partitions")).isEqualTo(R);
    assertThat(bySift.get("spark.hadoop.fs.s3a.secret.key")).isEqualTo(R);
    assertThat(bySift.get("spark.hadoop.fs.s3a.access.key")).isEqualTo("AKIAEXAMPLE");
  }

  @Test
  void aBadPatternIsAStartUpErrorNamingTheKey() {
    assertThatThrownBy(() -> Redaction.forRun(conf("spark.redaction.regex=(secret"), null))
        .isInstanceOf(SiftUserException.class)
        .hasMessageContaining("spark.redaction.regex = (secret");
  }
}
