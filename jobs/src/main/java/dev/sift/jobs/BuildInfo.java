package dev.sift.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** Version and git commit of this build, read from {@code sift-build.properties} in the jar. */
public final class BuildInfo {
  private static final Properties PROPS = load();

  private BuildInfo() {}

  private static Properties load() {
    Properties p = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("/sift-build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // A build without the file still runs; the manifest then says "unknown".
    }
    return p;
  }

  private static String get(String key) {
    String v = PROPS.getProperty(key);
    return v == null || v.isBlank() || v.startsWith("${") ? "unknown" : v;
  }

  public static String version() {
    return get("sift.version");
  }

  /** The commit the jar was built from, with "-dirty" when the tree had changes. */
  public static String gitCommit() {
    String commit = get("sift.git.commit");
    return "true".equals(PROPS.getProperty("sift.git.dirty")) ? commit + "-dirty" : commit;
  }
}
