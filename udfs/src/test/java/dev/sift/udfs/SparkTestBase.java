package dev.sift.udfs;

import java.nio.file.Path;
import java.util.Locale;
import java.util.TimeZone;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * A real local Spark session shared by the tests of one class: {@code local[2]}, UI off, loopback
 * host, UTC, {@code Locale.US}, few shuffle partitions. Started once per class and stopped after
 * it, so classes do not share state.
 */
public abstract class SparkTestBase {
  protected static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    Locale.setDefault(Locale.US);
    TimeZone.setDefault(TimeZone.getTimeZone("UTC"));
    spark = newSession();
  }

  @AfterAll
  static void stopSpark() {
    if (spark != null) {
      spark.stop();
      spark = null;
    }
    SparkSession.clearActiveSession();
    SparkSession.clearDefaultSession();
  }

  /** The session settings every Sift test uses. */
  public static SparkSession newSession() {
    return SparkSession.builder()
        .master("local[2]")
        .appName("sift-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .getOrCreate();
  }

  /** A file or folder of the repository itself. */
  public static Path repo(String relative) {
    return Path.of(System.getProperty("sift.repo.dir", "..")).resolve(relative);
  }
}
