package dev.sift.udfs;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkFiles;

/**
 * Model files and directories that live on a cluster file system ({@code s3a://}, {@code hdfs://},
 * any Hadoop scheme other than {@code file}). ONNX Runtime and the tokenizer read local files, so
 * the driver ships such a path with Spark's own file distribution ({@link SparkContext#addFile(
 * String, boolean)}, recursive for directories): each executor fetches it once into its work
 * directory, and {@link #local} finds that copy on the driver and on every executor. Local paths
 * are used where they are, and must then exist on every executor.
 *
 * <p>Stateless apart from the driver's record of what it shipped; thread-safe.
 */
public final class ModelFiles {
  /** Shipped paths by application and the name Spark files them under (the last component). */
  private static final Map<String, String> SHIPPED = new ConcurrentHashMap<>();

  private ModelFiles() {}

  /** Whether {@code path} names a cluster file system rather than this machine's. */
  public static boolean remote(String path) {
    String scheme = uri(path).getScheme();
    return scheme != null && !scheme.equals("file") && !scheme.equals("local");
  }

  /**
   * Driver side: ships {@code path} to every executor when it is remote (a no-op for local paths
   * and for a path already shipped by this driver).
   *
   * @param key the configuration key that names the path, for error messages
   * @throws IllegalArgumentException naming the key when the path does not exist, cannot be read,
   *     or ends in the same name as another shipped model path
   */
  public static void ship(SparkContext sc, String key, String path) {
    if (!remote(path)) {
      return;
    }
    String name = name(path);
    String shipped = sc.applicationId() + "/" + name;
    String before = SHIPPED.putIfAbsent(shipped, path);
    if (before != null && !before.equals(path)) {
      throw new IllegalArgumentException(
          key
              + " = "
              + path
              + ": another model path, "
              + before
              + ", ends in the same name '"
              + name
              + "'; Spark files models by that name, so rename one");
    }
    if (before != null) {
      return;
    }
    try {
      org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(path);
      FileSystem fs = p.getFileSystem(sc.hadoopConfiguration());
      if (!fs.exists(p)) {
        SHIPPED.remove(shipped);
        throw new IllegalArgumentException(key + " = " + path + " does not exist");
      }
      sc.addFile(path, fs.getFileStatus(p).isDirectory());
    } catch (IOException e) {
      SHIPPED.remove(shipped);
      throw new IllegalArgumentException(
          key + " = " + path + " cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * The local copy of a model path: for a remote path, where Spark put the shipped copy on this JVM
   * (driver or executor; {@link #ship} must have run on the driver); for a local path ({@code
   * file:} or none), the path itself.
   */
  public static Path local(String path) {
    if (remote(path)) {
      return Path.of(SparkFiles.get(name(path)));
    }
    URI u = uri(path);
    return u.getScheme() == null ? Path.of(path) : Path.of(u.getPath());
  }

  private static URI uri(String path) {
    return new org.apache.hadoop.fs.Path(path).toUri();
  }

  private static String name(String path) {
    String name = new org.apache.hadoop.fs.Path(path).getName();
    if (name.isEmpty()) {
      throw new IllegalArgumentException("model path " + path + " has no name to ship it under");
    }
    return name;
  }
}
