package dev.sift.jobs.append;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sift.jobs.SiftRun;
import dev.sift.jobs.SiftUserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output lock on the local file system: one holder, dead holders taken over, breaking it. */
class OutputLockTest {
  @TempDir Path tmp;

  private static FileSystem local() throws IOException {
    return FileSystem.getLocal(new Configuration());
  }

  private OutputLock acquire(Path dir, String runId) throws IOException {
    return OutputLock.acquire(
        local(), new org.apache.hadoop.fs.Path(dir.toUri()), runId, "curate", Duration.ZERO);
  }

  private static void writeLock(Path dir, String host, long pid, Instant started)
      throws IOException {
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve(OutputLock.FILE),
        String.format(
            "{\"run_id\":\"old-run\",\"host\":\"%s\",\"pid\":%d,\"started_at\":\"%s\","
                + "\"command\":\"curate\"}",
            host, pid, started));
  }

  @Test
  void aLockNamesItsRunAndGoesWhenReleased() throws IOException {
    Path out = tmp.resolve("out");
    Files.createDirectories(out.resolve("batches"));
    try (OutputLock lock = acquire(out, "run-1")) {
      String text = Files.readString(out.resolve(OutputLock.FILE));
      assertThat(text)
          .contains("\"run_id\" : \"run-1\"")
          .contains("\"pid\" : " + ProcessHandle.current().pid())
          .contains(OutputLock.localHost());
      assertThat(lock.holder().runId()).isEqualTo("run-1");
    }
    assertThat(out.resolve(OutputLock.FILE)).doesNotExist();
    assertThat(out.resolve("batches")).exists();
  }

  @Test
  void aRunOnThisHostThatIsAliveKeepsItsLock() throws IOException {
    Path out = tmp.resolve("out");
    try (OutputLock first = acquire(out, "run-1")) {
      assertThatThrownBy(() -> acquire(out, "run-2"))
          .isInstanceOf(SiftUserException.class)
          .hasMessageContaining("locked by another sift run: run run-1")
          .hasMessageContaining("running on this host");
    }
  }

  @Test
  void aLockFromAnotherHostIsRefusedUntilBroken() throws IOException {
    Path out = tmp.resolve("out");
    writeLock(out, "gpu-node-17", 4242, Instant.now().minus(Duration.ofMinutes(185)));
    assertThatThrownBy(() -> acquire(out, "run-2"))
        .isInstanceOf(SiftUserException.class)
        .hasMessageContaining("host gpu-node-17, pid 4242")
        .hasMessageContaining("held for 3 h 05 min")
        .hasMessageContaining("sift unlock --output");

    SiftRun unlock = SiftRun.of("unlock", "--output", out.toString());
    assertThat(unlock.exitCode()).as(unlock.toString()).isZero();
    assertThat(unlock.out()).contains("removed the lock").contains("gpu-node-17");
    acquire(out, "run-2").close();
    SiftRun again = SiftRun.of("unlock", "--output", out.toString());
    assertThat(again.out()).contains("has no lock");
  }

  @Test
  void aDeadHoldersLockOnThisHostIsTakenOver() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    assertThat(gone.waitFor(30, TimeUnit.SECONDS)).isTrue();
    Path out = tmp.resolve("out");
    writeLock(out, OutputLock.localHost(), gone.pid(), Instant.now().minusSeconds(60));
    try (OutputLock lock = acquire(out, "run-2")) {
      assertThat(Files.readString(out.resolve(OutputLock.FILE))).contains("run-2");
    }
  }

  @Test
  void aReusedPidDoesNotKeepAStaleLockAlive() throws IOException {
    // This JVM's pid, but a lock taken long before this JVM started: the holder was another
    // process.
    Path out = tmp.resolve("out");
    writeLock(
        out,
        OutputLock.localHost(),
        ProcessHandle.current().pid(),
        Instant.now().minus(Duration.ofDays(30)));
    acquire(out, "run-2").close();
  }

  @Test
  void ofRunsStartedTogetherExactlyOneGetsTheLock() throws Exception {
    Path out = tmp.resolve("out");
    int runs = 8;
    ExecutorService pool = Executors.newFixedThreadPool(runs);
    CountDownLatch start = new CountDownLatch(1);
    List<Future<OutputLock>> tries = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      String id = "run-" + i;
      tries.add(
          pool.submit(
              () -> {
                start.await();
                try {
                  return acquire(out, id);
                } catch (SiftUserException e) {
                  return null;
                }
              }));
    }
    start.countDown();
    List<OutputLock> won = new ArrayList<>();
    for (Future<OutputLock> f : tries) {
      OutputLock l = f.get(60, TimeUnit.SECONDS);
      if (l != null) {
        won.add(l);
      }
    }
    pool.shutdown();
    assertThat(won).hasSize(1);
    assertThat(Files.readString(out.resolve(OutputLock.FILE)))
        .contains(won.get(0).holder().runId());
    won.get(0).close();
  }

  @Test
  void anUnreadableLockIsBeingTakenWhenNewAndBreakableWhenOld() throws IOException {
    Path out = tmp.resolve("out");
    Files.createDirectories(out);
    Path lock = out.resolve(OutputLock.FILE);
    Files.writeString(lock, "");
    assertThatThrownBy(() -> acquire(out, "run-2"))
        .isInstanceOf(SiftUserException.class)
        .hasMessageContaining("being locked by another sift run right now")
        .hasMessageNotContaining("sift unlock");
    Files.setLastModifiedTime(lock, FileTime.from(Instant.now().minus(Duration.ofHours(2))));
    assertThatThrownBy(() -> acquire(out, "run-2"))
        .isInstanceOf(SiftUserException.class)
        .hasMessageContaining("unreadable lock file")
        .hasMessageContaining("sift unlock --output");
  }

  @Test
  void aDirectoryTheLockMadeIsRemovedWhenNothingWasWritten() throws IOException {
    Path out = tmp.resolve("new-out");
    acquire(out, "run-1").close();
    assertThat(out).doesNotExist();
  }

  /**
   * On S3 a lock replaced by another run between the metadata and the data request fails the read
   * (S3A's RemoteFileChangedException, an IOException): the read is tried again and names the
   * holder, and only a read that keeps failing is an error.
   */
  @Test
  void aLockReadThatFailsIsReadAgain() throws IOException {
    Path out = tmp.resolve("out");
    writeLock(out, "elsewhere", 77, Instant.parse("2026-12-01T02:00:00Z"));
    org.apache.hadoop.fs.Path file = OutputLock.path(new org.apache.hadoop.fs.Path(out.toUri()));

    FailingOpens twice = new FailingOpens(2);
    assertThat(OutputLock.read(twice, file))
        .get()
        .extracting(OutputLock.Holder::runId)
        .isEqualTo("old-run");
    assertThat(twice.failed).isEqualTo(2);

    FailingOpens always = new FailingOpens(Integer.MAX_VALUE);
    assertThatThrownBy(() -> OutputLock.read(always, file))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("changed while read");
    assertThat(always.failed).isEqualTo(3);
  }

  /** The local file system, whose first {@code failures} opens fail as a changed S3 object's. */
  private static final class FailingOpens extends org.apache.hadoop.fs.FilterFileSystem {
    private final int failures;
    int failed;

    FailingOpens(int failures) throws IOException {
      super(local());
      this.failures = failures;
    }

    @Override
    public org.apache.hadoop.fs.FSDataInputStream open(org.apache.hadoop.fs.Path f)
        throws IOException {
      if (failed < failures) {
        failed++;
        throw new org.apache.hadoop.fs.PathIOException(f.toString(), "changed while read");
      }
      return super.open(f);
    }
  }
}
