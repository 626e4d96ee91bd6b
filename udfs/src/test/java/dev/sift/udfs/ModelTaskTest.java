package dev.sift.udfs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The model-stage task runtime without a model: rows selected for work are prepared on the decode
 * pool and handed to the stage's batch function with their slots; rows not selected and rows whose
 * preparation failed come back untouched or marked, in input order; the task's metrics reach the
 * driver.
 */
class ModelTaskTest extends SparkTestBase {
  private static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.IntegerType)
          .add("value", DataTypes.StringType)
          .add("skip", DataTypes.BooleanType);

  /**
   * Per partition: rows with skip = false are prepared (two floats: id and id * 10; id 14 fails),
   * then the batch function writes "sum=<id + id * 10>" from the prepared slot, or
   * "error=<message>" for a failed row.
   */
  static final class SumFn implements MapPartitionsFunction<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final ScoreMetrics metrics;
    private final int batchSize;
    private final int prefetch;

    SumFn(ScoreMetrics metrics, int batchSize, int prefetch) {
      this.metrics = metrics;
      this.batchSize = batchSize;
      this.prefetch = prefetch;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
      ModelTask task = new ModelTask("cpu", 1, 1, metrics);
      return task.rows(
          input,
          values -> !(Boolean) values[2],
          (values, buffer, offset) -> {
            int id = (Integer) values[0];
            if (id == 14) {
              throw new IllegalArgumentException("cannot prepare row 14");
            }
            buffer[offset] = id;
            buffer[offset + 1] = id * 10f;
          },
          batchSize,
          2,
          2,
          prefetch,
          batch -> {
            metrics.batch(batch.prepared(), 0L);
            for (int r = 0; r < batch.rows().size(); r++) {
              Object[] values = batch.rows().get(r);
              Exception error = batch.errors()[r];
              int slot = batch.slot()[r];
              if (error != null) {
                values[1] = "error=" + ModelTask.message(error);
              } else if (slot >= 0) {
                float[] b = batch.buffer();
                values[1] = "sum=" + (int) (b[2 * slot] + b[2 * slot + 1]);
              }
            }
          });
    }
  }

  private static List<Row> input(int n) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      rows.add(RowFactory.create(i, "untouched", i % 4 == 1));
    }
    return rows;
  }

  @Test
  void selectedRowsArePreparedAndFilledAndEveryRowComesBackInOrder() {
    for (int prefetch : new int[] {0, 1, 3}) {
      ScoreMetrics metrics = new ScoreMetrics(spark.sparkContext(), "model-task-" + prefetch);
      Dataset<Row> in = spark.createDataFrame(input(101), SCHEMA).repartition(1);
      List<Row> out =
          in.mapPartitions(new SumFn(metrics, 8, prefetch), Encoders.row(SCHEMA)).collectAsList();
      assertThat(out).hasSize(101);
      for (int i = 0; i < out.size(); i++) {
        Row r = out.get(i);
        assertThat(r.getInt(0)).as("order, prefetch %d", prefetch).isEqualTo(i);
        String expected =
            i % 4 == 1 ? "untouched" : i == 14 ? "error=cannot prepare row 14" : "sum=" + 11 * i;
        assertThat(r.getString(1)).as("row %d, prefetch %d", i, prefetch).isEqualTo(expected);
      }
      Map<String, Object> m = metrics.describe();
      // 101 rows, 25 not selected: 76 selected, in batches of 8 selected rows; row 14 failed.
      assertThat(m.get("batches")).isEqualTo(10L);
      assertThat(m.get("model_rows")).isEqualTo(75L);
      assertThat(m.get("task_span_seconds")).isInstanceOf(Double.class);
      assertThat((Double) m.get("task_span_seconds")).isGreaterThanOrEqualTo(0.0);
      assertThat((List<?>) m.get("devices")).singleElement().asString().endsWith(": CPU");
    }
  }

  @Test
  void aPartitionWithNothingSelectedPassesThroughUntouched() {
    ScoreMetrics metrics = new ScoreMetrics(spark.sparkContext(), "model-task-none");
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      rows.add(RowFactory.create(i, "kept", true));
    }
    List<Row> out =
        spark
            .createDataFrame(rows, SCHEMA)
            .repartition(2)
            .mapPartitions(new SumFn(metrics, 4, 1), Encoders.row(SCHEMA))
            .collectAsList();
    assertThat(out).hasSize(20).allMatch(r -> r.getString(1).equals("kept"));
    assertThat(metrics.describe().get("model_rows")).isEqualTo(0L);
  }

  @Test
  void sliceCopiesOnlyWhenTheRowsAreNotTheWholeBuffer() {
    float[] pixels = {0, 1, 2, 3, 4, 5};
    assertThat(ModelTask.slice(pixels, 0, 3, 2)).isSameAs(pixels);
    assertThat(ModelTask.slice(pixels, 1, 2, 2)).containsExactly(2, 3, 4, 5);
    assertThat(ModelTask.message(new IllegalStateException())).contains("IllegalStateException");
  }
}
