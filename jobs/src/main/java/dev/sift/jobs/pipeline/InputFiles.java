package dev.sift.jobs.pipeline;

import dev.sift.jobs.SiftUserException;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The input's data files, found on the driver before Spark reads them: what an input path names
 * (files, directories without Spark's metadata names, globs), less the zero-byte files, and the
 * Parquet footers read so that a truncated or foreign file is named before any task starts.
 * Stateless; used by {@link InputReader} and {@link FailedDownloads}.
 */
final class InputFiles {
  private static final Logger LOG = LoggerFactory.getLogger(InputFiles.class);

  /** Footers checked on the driver; past this, Spark reports a bad file when it reaches it. */
  private static final int MAX_FOOTER_CHECKS = 2000;

  private InputFiles() {}

  /**
   * Every file {@code path} names: comma-separated entries, each a file, a directory (recursively,
   * without Spark's metadata names; WebDataset: {@code .tar} files only) or a glob; sorted within
   * an entry, each file once.
   */
  static List<FileStatus> listFiles(Configuration hadoop, String path, String format) {
    Map<String, FileStatus> files = new LinkedHashMap<>();
    boolean tarOnly = format.equals("webdataset");
    for (String entry : path.split(",")) {
      String part = entry.trim();
      if (part.isEmpty()) {
        continue;
      }
      try {
        Path p = new Path(part);
        FileSystem fs = p.getFileSystem(hadoop);
        FileStatus[] matches = fs.globStatus(p);
        if (matches == null || matches.length == 0) {
          throw new SiftUserException("input path not found: " + part);
        }
        List<FileStatus> found = new ArrayList<>();
        for (FileStatus m : matches) {
          if (!m.isDirectory()) {
            found.add(m);
            continue;
          }
          for (FileStatus f : filesUnder(fs, m.getPath())) {
            if (isDataFile(m.getPath(), f.getPath())
                && (!tarOnly || f.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".tar"))) {
              found.add(f);
            }
          }
        }
        found.sort((x, y) -> x.getPath().toString().compareTo(y.getPath().toString()));
        found.forEach(f -> files.putIfAbsent(f.getPath().toString(), f));
      } catch (IOException e) {
        throw new SiftUserException("cannot list input path " + part + ": " + e.getMessage(), e);
      }
    }
    if (files.isEmpty()) {
      throw new SiftUserException(
          tarOnly
              ? "no WebDataset shards (.tar files) under " + path
              : "no input files under " + path + " (format " + format + ")");
    }
    return List.copyOf(files.values());
  }

  /**
   * Every file below {@code dir}. Object stores and HDFS list a tree in one call ({@code
   * listFiles}); the local file system walks it with {@code listStatus}, whose statuses do not
   * fetch permissions (Hadoop's {@code listFiles} there runs a process per file for them: 20 s for
   * 10,000 files).
   */
  private static List<FileStatus> filesUnder(FileSystem fs, Path dir) throws IOException {
    List<FileStatus> files = new ArrayList<>();
    if (!fs.getScheme().equals("file")) {
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
      while (it.hasNext()) {
        files.add(it.next());
      }
      return files;
    }
    ArrayDeque<Path> dirs = new ArrayDeque<>(List.of(dir));
    while (!dirs.isEmpty()) {
      for (FileStatus f : fs.listStatus(dirs.pop())) {
        if (f.isDirectory()) {
          dirs.push(f.getPath());
        } else {
          files.add(f);
        }
      }
    }
    return files;
  }

  /** Spark's rule: names starting with '_' or '.' (in any folder below the root) are metadata. */
  private static boolean isDataFile(Path root, Path file) {
    for (Path p = file; p != null && !p.equals(root); p = p.getParent()) {
      String name = p.getName();
      if (name.startsWith("_") || name.startsWith(".")) {
        return false;
      }
    }
    return true;
  }

  /** The files with data; zero-byte files hold no rows and are left out with a warning. */
  static List<FileStatus> nonEmpty(List<FileStatus> files, String format) {
    List<FileStatus> kept = new ArrayList<>();
    for (FileStatus f : files) {
      if (f.getLen() == 0) {
        LOG.warn(
            "input {} {} is empty (0 bytes): it holds no rows",
            format.equals("webdataset") ? "shard" : "file",
            f.getPath());
      } else {
        kept.add(f);
      }
    }
    if (kept.isEmpty()) {
      throw new SiftUserException(
          "every input file is empty (0 bytes): "
              + files.stream().map(f -> f.getPath().toString()).collect(Collectors.joining(", ")));
    }
    return kept;
  }

  /** Reads every footer so that a truncated or non-Parquet file is named before Spark starts. */
  static long checkParquetFooters(Configuration hadoop, List<FileStatus> files) {
    return checkParquetFooters(hadoop, files, (file, schema) -> {});
  }

  /**
   * {@link #checkParquetFooters(Configuration, List)}, also handing each file's schema to {@code
   * check} (which throws to refuse it).
   *
   * @return the widest byte-array column's bytes per row, uncompressed, in the row group where they
   *     are largest among the files checked (0 without byte-array columns): what one row of that
   *     column costs Spark's vectorized reader ({@link ParquetReaderBatch})
   */
  static long checkParquetFooters(
      Configuration hadoop, List<FileStatus> files, BiConsumer<FileStatus, MessageType> check) {
    long widest = 0;
    int checked = 0;
    for (FileStatus f : files) {
      if (f.getLen() == 0) {
        continue;
      }
      if (checked++ == MAX_FOOTER_CHECKS) {
        LOG.info(
            "checked the first {} Parquet footers; Spark checks the other {}",
            MAX_FOOTER_CHECKS,
            files.size() - MAX_FOOTER_CHECKS);
        return widest;
      }
      MessageType schema;
      try (ParquetFileReader reader =
          ParquetFileReader.open(HadoopInputFile.fromStatus(f, hadoop))) {
        schema = reader.getFooter().getFileMetaData().getSchema();
        widest = Math.max(widest, widestBinaryRow(reader.getFooter().getBlocks()));
      } catch (IOException | RuntimeException e) {
        throw new SiftUserException(
            "input file "
                + f.getPath()
                + " is not a readable Parquet file ("
                + f.getLen()
                + " bytes): "
                + e.getMessage(),
            e);
      }
      check.accept(f, schema);
    }
    return widest;
  }

  /** The largest bytes per row of any byte-array column chunk in these row groups. */
  private static long widestBinaryRow(List<BlockMetaData> rowGroups) {
    long widest = 0;
    for (BlockMetaData group : rowGroups) {
      if (group.getRowCount() <= 0) {
        continue;
      }
      for (ColumnChunkMetaData column : group.getColumns()) {
        if (column.getPrimitiveType().getPrimitiveTypeName()
            == PrimitiveType.PrimitiveTypeName.BINARY) {
          widest = Math.max(widest, column.getTotalUncompressedSize() / group.getRowCount());
        }
      }
    }
    return widest;
  }
}
