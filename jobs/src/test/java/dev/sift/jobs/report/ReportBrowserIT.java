package dev.sift.jobs.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sift.curation.report.Html;
import dev.sift.udfs.SparkTestBase;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sample run's report in a real browser: headless Chromium driven over the DevTools protocol
 * (the JDK's WebSocket client, no extra dependency), collecting console messages, exceptions, log
 * entries and every network request while the page loads from {@code file://}. Saves a full-page
 * screenshot to {@code target/report-browser/report.png}. Needs Debian's {@code chromium}: .ci/run
 * installs it; without it the test fails under {@code CI=true} and is skipped elsewhere.
 */
@Tag("integration")
class ReportBrowserIT extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;

  @Test
  void theSampleReportOpensOfflineWithItsChartsAndFigures() throws Exception {
    String chromium = findChromium();
    if (chromium == null) {
      String why = "chromium not found on PATH (apt-get install chromium)";
      if ("true".equals(System.getenv("CI"))) {
        throw new AssertionError(why);
      }
      Assumptions.abort(why);
    }
    Path out = tmp.resolve("sample");
    // In-process, but not through picocli: failsafe runs against the shaded jar, where picocli
    // is relocated.
    dev.sift.jobs.config.SiftConf conf =
        dev.sift.jobs.config.ConfigLoader.load(
            repo("conf/sample.conf"),
            List.of(
                "sift.score.model=" + repo("curation/src/test/resources/fixtures/tiny-clip"),
                "sift.match.metadata=" + repo("data/metaclip/metadata_proxy_wordnet30.json")),
            Map.of(
                "sift.input.path", repo("data/sample/sample.parquet").toString(),
                "sift.output.path", out.toString()));
    dev.sift.jobs.CurateJob.run(spark, conf, dev.sift.jobs.pipeline.Command.CURATE);
    Path html = out.resolve("report/report.html").toAbsolutePath();
    JsonNode report = JSON.readTree(out.resolve("report/report.json").toFile());

    Path profile = Files.createDirectory(tmp.resolve("profile"));
    Process browser =
        new ProcessBuilder(
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                "--user-data-dir=" + profile,
                "--remote-debugging-port=0",
                "--window-size=1280,4000",
                "about:blank")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("chromium.log").toFile())
            .start();
    try (Cdp cdp = Cdp.connect(pageSocket(profile, browser))) {
      cdp.call("Runtime.enable", null);
      cdp.call("Log.enable", null);
      cdp.call("Network.enable", null);
      cdp.call("Page.enable", null);
      CompletableFuture<JsonNode> loaded = cdp.next("Page.loadEventFired");
      ObjectNode nav = JSON.createObjectNode().put("url", html.toUri().toString());
      cdp.call("Page.navigate", nav);
      loaded.get(60, TimeUnit.SECONDS);

      JsonNode page =
          JSON.readTree(
              cdp.evaluate(
                  "JSON.stringify({charts: [...document.querySelectorAll('svg.chart')].map(s =>"
                      + " s.id), text: document.body.innerText, images:"
                      + " [...document.images].filter(i => i.complete && i.naturalWidth > 0).length,"
                      + " sections: [...document.querySelectorAll('section')].map(s => s.id),"
                      + " height: document.documentElement.scrollHeight})"));

      Path shot = Path.of("target", "report-browser", "report.png");
      Files.createDirectories(shot.getParent());
      int height = Math.min(page.path("height").asInt(4000), 16_000);
      cdp.call(
          "Emulation.setDeviceMetricsOverride",
          JSON.createObjectNode()
              .put("width", 1280)
              .put("height", height)
              .put("deviceScaleFactor", 1)
              .put("mobile", false));
      JsonNode png =
          cdp.call(
              "Page.captureScreenshot",
              JSON.createObjectNode().put("format", "png").put("captureBeyondViewport", true));
      Files.write(shot, Base64.getDecoder().decode(png.path("data").asText()));

      // Nothing went wrong, and nothing was asked of anything but the page itself.
      List<String> problems = new ArrayList<>();
      List<String> requests = new ArrayList<>();
      for (JsonNode e : cdp.events) {
        String method = e.path("method").asText();
        JsonNode p = e.path("params");
        switch (method) {
          case "Runtime.consoleAPICalled" -> {
            if (List.of("error", "warning", "assert").contains(p.path("type").asText())) {
              problems.add("console " + p.path("type").asText() + ": " + p.path("args"));
            }
          }
          case "Runtime.exceptionThrown" -> problems.add("exception: " + p);
          case "Log.entryAdded" -> {
            if (p.path("entry").path("level").asText().equals("error")) {
              problems.add("log: " + p.path("entry").path("text").asText());
            }
          }
          case "Network.requestWillBeSent" -> requests.add(p.path("request").path("url").asText());
          default -> {}
        }
      }
      assertThat(problems).as("console errors").isEmpty();
      assertThat(requests).as("network requests").isNotEmpty();
      assertThat(requests)
          .as("network requests")
          .allSatisfy(
              u -> assertThat(u.equals(html.toUri().toString()) || u.startsWith("data:")).isTrue());

      assertThat(page.path("sections").toString())
          .contains(
              "summary",
              "funnel",
              "scores",
              "thresholds",
              "concepts",
              "captions",
              "diversity",
              "gallery");
      assertThat(page.path("charts").toString())
          .contains(
              "chart-funnel",
              "chart-score-histogram",
              "chart-kept-curve",
              "chart-rank-frequency",
              "chart-caption-length");
      assertThat(page.path("images").asInt()).isGreaterThanOrEqualTo(12);
      String text = page.path("text").asText();
      JsonNode scores = report.path("scores");
      assertThat(text)
          .contains(Html.count(scores.path("scored_rows").asLong()) + " scored rows")
          .contains(Html.num(scores.path("quantiles").get(4).path("value").asDouble()))
          .contains(Html.num(scores.path("configured_threshold").asDouble()))
          .contains(report.path("concepts").path("top").get(0).path("concept").asText())
          .contains(Html.num(report.path("diversity").path("before").asDouble(), 2))
          .contains("Not computed: no re-captioned rows");
    } finally {
      browser.destroy();
      if (!browser.waitFor(10, TimeUnit.SECONDS)) {
        browser.destroyForcibly();
      }
    }
  }

  private static String findChromium() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      for (String name : List.of("chromium", "chromium-browser")) {
        File f = new File(dir, name);
        if (f.canExecute()) {
          return f.getPath();
        }
      }
    }
    return null;
  }

  /** The page target's DevTools socket, once Chromium has written its port to the profile. */
  private static URI pageSocket(Path profile, Process browser) throws Exception {
    Path portFile = profile.resolve("DevToolsActivePort");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(portFile) || Files.readAllLines(portFile).isEmpty()) {
      if (!browser.isAlive()) {
        throw new AssertionError("chromium exited with " + browser.exitValue());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("chromium wrote no DevToolsActivePort within 60 s");
      }
      Thread.sleep(100);
    }
    String port = Files.readAllLines(portFile).get(0).trim();
    HttpClient http = HttpClient.newHttpClient();
    String list =
        http.send(
                java.net.http.HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/json/list"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString())
            .body();
    for (JsonNode t : JSON.readTree(list)) {
      if (t.path("type").asText().equals("page")) {
        return URI.create(t.path("webSocketDebuggerUrl").asText());
      }
    }
    throw new AssertionError("no page target in " + list);
  }

  /** A minimal DevTools-protocol client: numbered calls, every event recorded. */
  private static final class Cdp implements WebSocket.Listener, AutoCloseable {
    final List<JsonNode> events = new CopyOnWriteArrayList<>();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<JsonNode>> waiting = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final StringBuilder partial = new StringBuilder();
    private WebSocket socket;

    static Cdp connect(URI uri) throws Exception {
      Cdp cdp = new Cdp();
      cdp.socket =
          HttpClient.newHttpClient()
              .newWebSocketBuilder()
              .connectTimeout(Duration.ofSeconds(30))
              .buildAsync(uri, cdp)
              .get(30, TimeUnit.SECONDS);
      return cdp;
    }

    JsonNode call(String method, JsonNode params) throws Exception {
      int id = ids.incrementAndGet();
      CompletableFuture<JsonNode> result = new CompletableFuture<>();
      pending.put(id, result);
      ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
      if (params != null) {
        msg.set("params", params);
      }
      socket.sendText(JSON.writeValueAsString(msg), true).get(30, TimeUnit.SECONDS);
      JsonNode r = result.get(60, TimeUnit.SECONDS);
      if (r.has("error")) {
        throw new AssertionError(method + ": " + r.get("error"));
      }
      return r.path("result");
    }

    /** The value of a JavaScript expression (a string). */
    String evaluate(String expression) throws Exception {
      JsonNode r =
          call(
              "Runtime.evaluate",
              JSON.createObjectNode().put("expression", expression).put("returnByValue", true));
      return r.path("result").path("value").asText();
    }

    CompletableFuture<JsonNode> next(String event) {
      return waiting.computeIfAbsent(event, e -> new CompletableFuture<>());
    }

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        try {
          JsonNode msg = JSON.readTree(partial.toString());
          if (msg.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(msg.get("id").asInt());
            if (f != null) {
              f.complete(msg);
            }
          } else {
            events.add(msg);
            CompletableFuture<JsonNode> f = waiting.get(msg.path("method").asText());
            if (f != null) {
              f.complete(msg);
            }
          }
        } catch (Exception e) {
          pending.values().forEach(f -> f.completeExceptionally(e));
        }
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public void close() {
      socket.abort();
    }
  }
}
