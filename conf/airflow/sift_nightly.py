"""Nightly Sift curation of a growing pool of shards, as an Airflow DAG.

Each run adds one committed batch for the shards that arrived since the last one
(sift.output.mode = append); a night with nothing new exits 0 without a batch. Exit code 2
(configuration error, an input file changed under the pipeline, the output locked by a run
that is still going or that ran on another host) needs a person: a retry fails the same way
and changes nothing. Any other failure is safe to retry: the next attempt removes the
uncommitted batch and takes over the lock of a dead run on the same host. See
docs/scheduled-runs.md.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

SIFT_JAR = "/opt/sift/sift-jobs.jar"  # jobs/target/sift-jobs-<version>.jar
CONFIG = "/opt/sift/conf/nightly.conf"  # your pipeline settings

with DAG(
    dag_id="sift_nightly",
    start_date=datetime(2026, 12, 1),
    schedule="0 2 * * *",
    catchup=False,
    max_active_runs=1,  # Sift's own lock refuses a second writer anyway
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
) as dag:
    curate = SparkSubmitOperator(
        task_id="curate_new_shards",
        application=SIFT_JAR,
        java_class="dev.sift.jobs.Sift",
        conn_id="spark_default",
        application_args=[
            "curate",
            "--config", CONFIG,
            "--input", "s3a://pool/shards/",
            "--output", "s3a://curated/laion-nightly/",
            "--set", "sift.output.mode=append",
        ],
        conf={
            "spark.executor.resource.gpu.amount": "1",
            "spark.task.resource.gpu.amount": "1",
        },
    )
