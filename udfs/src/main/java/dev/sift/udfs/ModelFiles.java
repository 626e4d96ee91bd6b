package dev.sift.udfs;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How model files and directories reach the executors. ONNX Runtime and the tokenizer read local
 * files, so:
 *
 * <ul>
 *   <li>a path on a cluster file system ({@code s3a://}, {@code hdfs://}, any Hadoop scheme other
 *       than {@code file}) is shipped with Spark's own file distribution ({@link
 *       SparkContext#addFile(String, boolean)}, recursive for directories);
 *   <li>a local path, under a cluster master, is packed on the driver into one zip archive that
 *       Spark hands to every executor ({@link SparkContext#addArchive(String)}), unless the caller
 *       says it lies on a disk every executor shares; an executor's working directory is its
 *       worker's, and its disk is not the driver's;
 *   <li>under a local master the executors are the driver's JVM, and a local path is used where it
 *       is.
 * </ul>
 *
 * <p>Each executor fetches a shipped path once into its work directory, and {@link #local} finds
 * that copy on the driver and on every executor. Stateless apart from the driver's record of what
 * it shipped; thread-safe.
 */
public final class ModelFiles {
  private static final Logger LOG = LoggerFactory.getLogger(ModelFiles.class);

  /** Shipped paths by application and the name Spark files them under (the last component). */
  private static final Map<String, String> SHIPPED = new ConcurrentHashMap<>();

  private ModelFiles() {}

  /** Whether {@code path} names a cluster file system rather than this machine's. */
  public static boolean remote(String path) {
    String scheme = uri(path).getScheme();
    return scheme != null && !scheme.equals("file") && !scheme.equals("local");
  }

  /**
   * Driver side: ships {@code path} to every executor when it is remote, or when it is local and
   * {@code sc} runs a cluster master and the path is not on a shared disk (a no-op otherwise, and
   * for a path already shipped by this driver).
   *
   * @param key the configuration key that names the path, for error messages
   * @param sharedDisk whether a local path is on a disk every executor mounts at the same place
   * @throws IllegalArgumentException naming the key when the path does not exist, cannot be read,
   *     or ends in the same name as another shipped model path
   */
  public static void ship(SparkSession spark, String key, String path, boolean sharedDisk) {
    SparkContext sc = spark.sparkContext();
    if (!remote(path)) {
      if (!sc.isLocal() && !sharedDisk) {
        shipLocal(spark, key, path);
      }
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
      boolean directory = fs.getFileStatus(p).isDirectory();
      inSession(spark, () -> sc.addFile(path, directory));
    } catch (IOException e) {
      SHIPPED.remove(shipped);
      throw new IllegalArgumentException(
          key + " = " + path + " cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * Packs a local file or directory into {@code <archive name>}, under its own last name, and adds
   * it as an archive: every executor unpacks it into its work directory before its first task.
   * Spark's {@code addFile} takes no local directory under a cluster master, hence the archive.
   */
  private static void shipLocal(SparkSession spark, String key, String path) {
    SparkContext sc = spark.sparkContext();
    Path source = localPath(path);
    String archive = archiveName(source);
    if (SHIPPED.putIfAbsent(sc.applicationId() + "/" + archive, path) != null) {
      return;
    }
    if (!Files.exists(source)) {
      SHIPPED.remove(sc.applicationId() + "/" + archive);
      throw new IllegalArgumentException(key + " = " + path + " does not exist");
    }
    try {
      long t0 = System.nanoTime();
      Path dir = Files.createTempDirectory("sift-models");
      dir.toFile().deleteOnExit();
      Path zip = dir.resolve(archive);
      long bytes = zip(source, zip);
      zip.toFile().deleteOnExit();
      inSession(spark, () -> sc.addArchive(zip.toUri().toString()));
      LOG.info(
          "{} = {}: shipped to the executors as {} ({} MB packed in {} ms); set"
              + " sift.models.local-paths = shared when every executor sees this path",
          key,
          path,
          archive,
          bytes >> 20,
          (System.nanoTime() - t0) / 1_000_000);
    } catch (IOException e) {
      SHIPPED.remove(sc.applicationId() + "/" + archive);
      throw new IllegalArgumentException(
          key + " = " + path + " cannot be packed for the executors: " + e.getMessage(), e);
    }
  }

  /**
   * Adds a file or archive to {@code spark}'s own artifacts. Spark 4 isolates each session's
   * artifacts ({@code spark.sql.artifact.isolation.enabled}, on by default): a file added to the
   * SparkContext outside the session reaches executors only for jobs that are not the session's SQL
   * queries, that is, never for Sift's stages.
   */
  private static void inSession(SparkSession spark, Runnable add) {
    org.apache.spark.sql.artifact.ArtifactManager artifacts =
        ((org.apache.spark.sql.classic.SparkSession) spark).artifactManager();
    if (artifacts.state() == null) {
      add.run();
    } else {
      artifacts.withResources(
          () -> {
            add.run();
            return null;
          });
    }
  }

  /** Zips {@code source} (a file, or a directory's tree) under its own name; returns bytes read. */
  private static long zip(Path source, Path zip) throws IOException {
    Path base = source.toAbsolutePath().getParent();
    long bytes = 0;
    try (ZipOutputStream out =
            new ZipOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(zip)));
        Stream<Path> tree = Files.walk(source)) {
      // ONNX weights do not compress; level 0 keeps packing as fast as copying.
      out.setLevel(0);
      for (Path f : (Iterable<Path>) tree.filter(Files::isRegularFile).sorted()::iterator) {
        out.putNextEntry(new ZipEntry(base.relativize(f.toAbsolutePath()).toString()));
        bytes += Files.copy(f, out);
        out.closeEntry();
      }
    }
    return bytes;
  }

  /**
   * The archive a local path is shipped as: named by a hash of its absolute path, so the driver and
   * every executor derive the same name from the configured path alone.
   */
  static String archiveName(Path local) {
    String abs = local.toAbsolutePath().normalize().toString();
    String hex =
        dev.sift.curation.Hashing.sha256Hex(abs.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return "sift-model-" + hex.substring(0, 16) + ".zip";
  }

  /**
   * The local copy of a model path: for a remote path, where Spark put the shipped copy on this JVM
   * (driver or executor; {@link #ship} must have run on the driver); for a local path ({@code
   * file:} or none), the copy unpacked from its archive when the driver shipped one to this
   * executor, else the path itself.
   */
  public static Path local(String path) {
    if (remote(path)) {
      Path shipped = shipped(Path.of(name(path)));
      return shipped != null ? shipped : Path.of(SparkFiles.get(name(path)));
    }
    Path own = localPath(path);
    if (SparkEnv.get() != null && own.getFileName() != null) {
      Path unpacked = shipped(Path.of(archiveName(own)).resolve(own.getFileName()));
      if (unpacked != null) {
        return unpacked;
      }
    }
    return own;
  }

  /**
   * The newest copy of a shipped file or unpacked archive ({@code relative} to Spark's files) in
   * this JVM, or null. Spark 4 fetches a session's files into {@code <root>/<session uuid>/}, but
   * on an executor {@link SparkFiles#get} does not know the running task's session and looks in
   * {@code <root>} only: so both are searched. An executor's root belongs to one application, and
   * archive names hash the driver's absolute path, so a copy found was shipped for this path.
   */
  private static Path shipped(Path relative) {
    if (SparkEnv.get() == null) {
      return null;
    }
    Path root = Path.of(SparkFiles.getRootDirectory());
    List<Path> candidates = new ArrayList<>();
    candidates.add(root.resolve(relative));
    try (Stream<Path> sessions = Files.list(root)) {
      sessions.filter(Files::isDirectory).forEach(d -> candidates.add(d.resolve(relative)));
    } catch (IOException e) {
      return null;
    }
    Path newest = null;
    long newestTime = Long.MIN_VALUE;
    for (Path c : candidates) {
      try {
        long t = Files.getLastModifiedTime(c).toMillis();
        if (t > newestTime) {
          newest = c;
          newestTime = t;
        }
      } catch (IOException absent) {
        // Not unpacked there.
      }
    }
    return newest;
  }

  /** A local path ({@code file:} or none) as given, without looking for a shipped copy. */
  public static Path localPath(String path) {
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
