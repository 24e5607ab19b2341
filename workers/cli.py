"""The ``tickertape`` command: services, ingest, workers, queries, extraction and evaluation."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlsplit, urlunsplit

from kafka.errors import KafkaConnectionError, KafkaTimeoutError
from pydantic import BaseModel
from redis.exceptions import ConnectionError as RedisConnectionError

from workers.durations import parse_duration
from workers.errors import LocalServiceError, XApiError
from workers.settings import Settings, get_settings

if TYPE_CHECKING:
    from workers.ingest.producer import TweetProducer
    from workers.ingest.x_client import XClient

R = TypeVar("R")


def duration(text: str) -> timedelta:
    """'90s', '15m', '1h', '2d' → timedelta (argparse type)."""
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive(text: str) -> int:
    """A whole number ≥ 1 (argparse type)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def non_negative(text: str) -> float:
    """A number ≥ 0 (argparse type)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"not a number ≥ 0: {text!r}")
    return value


def existing_file(text: str) -> Path:
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {text}")
    return path


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, default=str))


def _print_rows(rows: Iterable[R], as_json: bool, line: Callable[[R], str]) -> None:
    """Each row as a JSON line (models dumped as JSON) or as the text ``line`` makes of it."""
    for row in rows:
        if as_json:
            _print_json(row.model_dump(mode="json") if isinstance(row, BaseModel) else row)
        else:
            print(line(row))


# --- services ------------------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from workers.admin.local import up

    for topic, partitions in up(settings).items():
        print(f"topic {topic}: {partitions} partitions")
    return 0


def cmd_down(args: argparse.Namespace, settings: Settings) -> int:
    from workers.admin.local import down

    down(settings)
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from workers.admin.local import status

    report = status(settings)
    for what, state in report.items():
        print(f"{what}: {state}")
    return 0 if report["redis"].startswith("up") and report["kafka"].startswith("up") else 3


# --- stream --------------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from workers.ingest.files import FieldMap, RecordMapper, read_file
    from workers.ingest.firehose import Firehose
    from workers.ingest.producer import TweetProducer

    if not args.files and not args.firehose and not args.replay_spill and not args.x_stream and not args.x_timelines:
        raise SystemExit("tickertape ingest: give FILE(s), --firehose N, --replay-spill FILE, --x-stream or --x-timelines")
    if args.x_stream and args.x_timelines:
        raise SystemExit("tickertape ingest: --x-stream or --x-timelines, not both (the poller is for tiers without the stream)")
    x_client = _x_client(settings) if args.x_stream or args.x_timelines else None  # no token: say so first
    producer = TweetProducer(settings)
    try:
        for path in args.replay_spill:
            producer.replay_spill(path)
        fields = FieldMap(args.id_field, args.author_field, args.text_field, args.time_field)
        for path in args.files:
            mapper = RecordMapper(
                fields,
                id_prefix=path.stem if args.id_prefix is None else args.id_prefix,
                default_author=args.default_author,
                retime=args.retime,
            )
            producer.ingest(read_file(path), mapper, rate=args.rate)
        if args.firehose:
            hose = Firehose(accounts=args.accounts, seed=args.seed, run=args.run)
            producer.stream(hose.tweets(args.firehose), rate=args.rate)
        if x_client is not None:
            _ingest_x(settings, producer, x_client, timelines=args.x_timelines)
    finally:
        producer.close()
    counts = producer.counts
    replayed = f", {counts.replayed} spilled records replayed" if counts.replayed else ""
    print(f"sent {counts.sent} tweets, {counts.dead_letters} dead letters{replayed}", file=sys.stderr)
    for reason, n in counts.reasons.most_common():
        print(f"  {n:>6}  {reason}", file=sys.stderr)
    if counts.failed:
        spill = producer.spill.path
        print(f"tickertape ingest: {counts.failed} records were not acknowledged by Kafka; they are in {spill} "
              f"(send them again with: tickertape ingest --replay-spill {spill})", file=sys.stderr)
        return 1
    return 0


def _x_client(settings: Settings) -> XClient:
    from workers.ingest.x_live import client_for

    return client_for(settings)


def _ingest_x(settings: Settings, producer: TweetProducer, client: XClient, timelines: bool) -> None:
    from workers.ingest.x_live import run_stream
    from workers.ingest.x_timelines import TimelinePoller, run_timelines
    from workers.store import FeedStore

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    store = FeedStore.connect(settings)
    if timelines:
        run_timelines(TimelinePoller(client, store, producer, stop), settings.x_poll_interval)
    else:
        run_stream(settings, client, producer, store, stop)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from workers.app import run_worker

    overrides = {k: v for k, v in (("extractor", args.backend), ("batch_max", args.batch_max),
                                   ("batch_within", args.batch_within)) if v is not None}
    run_worker(_with(settings, **overrides), loglevel=args.loglevel)
    return 0


def cmd_lag(args: argparse.Namespace, settings: Settings) -> int:
    from workers.admin.lag import consumer_lag

    rows = consumer_lag(settings, group=args.group)
    if args.json:
        for row in rows:
            _print_json(vars(row))
        return 0
    print(f"group {args.group or settings.worker_group} on {settings.tweets_topic}")
    print(f"{'partition':>9} {'committed':>10} {'end':>10} {'lag':>8}  owner")
    for row in rows:
        committed = "-" if row.committed is None else row.committed
        print(f"{row.partition:>9} {committed:>10} {row.end:>10} {row.lag:>8}  {row.owner or '-'}")
    print(f"{'total':>9} {'':>10} {'':>10} {sum(r.lag for r in rows):>8}")
    return 0


def cmd_dlq_show(args: argparse.Namespace, settings: Settings) -> int:
    from workers.admin.dlq import dead_letters

    _print_rows(dead_letters(settings), args.json,
                lambda d: f"{d.failed_at:%Y-%m-%d %H:%M:%S} {d.stage:<6} {d.source}  {d.reason}")
    return 0


def cmd_dlq_replay(args: argparse.Namespace, settings: Settings) -> int:
    from workers.admin.dlq import replay
    from workers.ingest.files import FieldMap

    fields = FieldMap(args.id_field, args.author_field, args.text_field, args.time_field)
    report = replay(settings, fields, default_author=args.default_author)
    print(f"replayed {report.replayed} tweets to {settings.tweets_topic}, "
          f"{sum(report.failing.values())} still failing", file=sys.stderr)
    for reason, n in report.failing.most_common():
        print(f"  {n:>6}  {reason}", file=sys.stderr)
    return 0


# --- queries -------------------------------------------------------------------------------------


def cmd_follow(args: argparse.Namespace, settings: Settings) -> int:
    from workers.store import FeedStore

    if args.import_file is not None:
        return _import_follows(args.import_file, settings) if not (args.user or args.accounts) else _usage(
            args, "give either --import FILE or USER ACCOUNT…, not both")
    if args.from_x is not None:
        return _follows_from_x(args.user, args.from_x, settings) if args.user and not args.accounts else _usage(
            args, "give USER --from-x X_USER_ID, without ACCOUNTs")
    if not args.user or not args.accounts:
        return _usage(args, "give USER and at least one ACCOUNT" + ("" if args.unfollow else ", or --import FILE"))
    store = FeedStore.connect(settings)
    if args.unfollow:
        store.unfollow(args.user, args.accounts)
    else:
        store.follow(args.user, args.accounts)
    print(" ".join(store.following(args.user)))
    return 0


def _import_follows(path: Path, settings: Settings) -> int:
    from workers.follows import read_follows
    from workers.store import FeedStore

    started = time.monotonic()
    counts = FeedStore.connect(settings).follow_many(read_follows(path))
    print(f"{counts.follows} follows of {counts.users} users read from {path}, {counts.added} new, "
          f"in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


def _follows_from_x(user: str, x_user_id: str, settings: Settings) -> int:
    from workers.store import FeedStore, checked_handle

    accounts = [checked_handle(name) for name in _x_client(settings).following(x_user_id)]
    store = FeedStore.connect(settings)
    counts = store.follow_many([(checked_handle(user), accounts)])
    print(f"{counts.follows} accounts followed by X user {x_user_id} read, {counts.added} new for {user}", file=sys.stderr)
    return 0


def _usage(args: argparse.Namespace, problem: str) -> int:
    print(f"tickertape {args.command}: {problem}", file=sys.stderr)
    return 2


def cmd_feed(args: argparse.Namespace, settings: Settings) -> int:
    from workers.store import FeedStore

    _print_rows(FeedStore.connect(settings).feed(args.user, token=args.token, limit=args.limit), args.json,
                lambda i: f"{i.created_at:%Y-%m-%d %H:%M} @{i.author} [{' '.join(i.tokens)}] {i.text!r}")
    return 0


def cmd_trending(args: argparse.Namespace, settings: Settings) -> int:
    from workers.store import FeedStore

    rows = [{"symbol": s, "tweets": n} for s, n in FeedStore.connect(settings).trending(args.window, limit=args.limit)]
    _print_rows(rows, args.json, lambda r: f"{r['symbol']:<12} {r['tweets']}")
    return 0


def cmd_mentions(args: argparse.Namespace, settings: Settings) -> int:
    from workers.store import FeedStore

    _print_rows(FeedStore.connect(settings).mentions(args.symbol, limit=args.limit), args.json,
                lambda r: f"{r.created_at:%Y-%m-%d %H:%M} @{r.author} {r.text!r}")
    return 0


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    from workers.api.app import serve

    serve(_with(settings, api_host=args.host or settings.api_host, api_port=args.port or settings.api_port))
    return 0


# --- extraction ----------------------------------------------------------------------------------


def cmd_extract(args: argparse.Namespace, settings: Settings) -> int:
    from model.evaluate import extract_file
    from workers.backend import load_backend

    extract_file(args.file, load_backend(settings, args.backend), sys.stdout)
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from model.evaluate import evaluate_file
    from workers.backend import load_backend

    backends = args.backend or list(dict.fromkeys(["cashtag", "rules", settings.extractor]))
    report = evaluate_file(args.file, backends, args.errors, load=lambda name: load_backend(settings, name))
    print(report.to_markdown())
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from workers.demo import REAL_TWEETS, run_demo

    real = None if args.no_real else args.real or REAL_TWEETS
    return run_demo(settings, tweets=args.tweets, workers=args.workers, rate=args.rate, real=real, source=args.source)


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from model.training.train import main as train_main

    return train_main(args.extra)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tickertape", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler, help: str) -> argparse.ArgumentParser:  # noqa: A002
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        return p

    command("up", cmd_up, "start the local Kafka and Redis (installing them first) and create the topics")
    command("down", cmd_down, "stop the local Kafka and Redis")
    command("status", cmd_status, "say whether Kafka and Redis answer and how the topics look")

    p = command("ingest", cmd_ingest, "publish tweets from JSONL/CSV files or a synthetic firehose to Kafka")
    p.add_argument("files", nargs="*", type=existing_file, metavar="FILE", help="JSONL or CSV tweet files")
    p.add_argument("--firehose", type=positive, metavar="N", help="also send N synthetic tweets")
    p.add_argument("--accounts", type=positive, default=50, help="firehose: number of synthetic authors (default 50)")
    p.add_argument("--seed", type=int, default=7, help="firehose: random seed (default 7)")
    p.add_argument("--run", default=f"{time.time():.0f}", help="firehose: run id inside tweet ids (default: now)")
    p.add_argument("--rate", type=non_negative, default=0.0, help="records per second, 0 = as fast as possible")
    p.add_argument("--x-stream", action="store_true",
                   help="also stream the posts of every followed account from X (TT_X_BEARER_TOKEN) until stopped")
    p.add_argument("--x-timelines", action="store_true",
                   help="instead of the stream, poll the followed accounts' timelines every TT_X_POLL_INTERVAL s")
    p.add_argument("--replay-spill", type=existing_file, action="append", default=[], metavar="FILE",
                   help="send again the records a run could not deliver (the spill file it named); repeatable")
    p.add_argument("--id-field", default="id", help="input field with the tweet id (default id)")
    p.add_argument("--author-field", default="author", help="input field with the author (default author)")
    p.add_argument("--text-field", default="text", help="input field with the text (default text)")
    p.add_argument("--time-field", default="created_at", help="input field with the tweet time (default created_at)")
    p.add_argument("--id-prefix", help="prefix for ids, 'prefix:id' (default: the file name without extension; '' for none)")
    p.add_argument("--default-author", help="author for records without one (otherwise they are dead letters)")
    p.add_argument("--retime", action="store_true", help="stamp tweets with the send time (replay as live traffic)")

    p = command("worker", cmd_worker, "run an inference worker (faust) in the consumer group")
    p.add_argument("--backend", help="extraction backend (default: TT_EXTRACTOR)")
    p.add_argument("--batch-max", type=int, help="most tweets per batch (default: TT_BATCH_MAX)")
    p.add_argument("--batch-within", type=float, help="seconds to wait for a batch to fill (default: TT_BATCH_WITHIN)")
    p.add_argument("--loglevel", default="info", help="worker log level (default info)")

    p = command("lag", cmd_lag, "consumer lag of the worker group per partition of the tweets topic")
    p.add_argument("--group", help="consumer group (default: TT_WORKER_GROUP)")
    p.add_argument("--json", action="store_true", help="one JSON object per partition")

    dlq = command("dlq", None, "the dead-letter topic: show it, or replay what now parses").add_subparsers(
        dest="dlq_command", required=True, metavar="ACTION")
    p = dlq.add_parser("show", help="list the dead letters with their reasons")
    p.set_defaults(handler=cmd_dlq_show)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p = dlq.add_parser("replay", help="send dead letters that now parse as tweets to the tweets topic (idempotent)")
    p.set_defaults(handler=cmd_dlq_replay)
    p.add_argument("--id-field", default="id", help="payload field with the tweet id (default id)")
    p.add_argument("--author-field", default="author", help="payload field with the author (default author)")
    p.add_argument("--text-field", default="text", help="payload field with the text (default text)")
    p.add_argument("--time-field", default="created_at", help="payload field with the tweet time (default created_at)")
    p.add_argument("--default-author", help="author for payloads without one")

    for name, unfollow in (("follow", False), ("unfollow", True)):
        p = command(name, cmd_follow, f"make USER {name} ACCOUNTs; prints whom USER follows")
        p.add_argument("user", nargs="?")
        p.add_argument("accounts", nargs="*", metavar="ACCOUNT")
        p.set_defaults(unfollow=unfollow, import_file=None, from_x=None)
        if not unfollow:
            p.add_argument("--from-x", metavar="X_USER_ID",
                           help="make USER follow every account this X user follows (TT_X_BEARER_TOKEN)")
            p.add_argument("--import", dest="import_file", type=existing_file, metavar="FILE",
                           help="add every follow in FILE: CSV with a user,account header, or JSON lines "
                                '{"user": …, "accounts": […]}; safe to run again')

    p = command("feed", cmd_feed, "a user's feed, newest first")
    p.add_argument("user")
    p.add_argument("--token", help="only tweets mentioning this symbol")
    p.add_argument("--limit", type=positive, default=20)
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = command("trending", cmd_trending, "symbols mentioned by the most tweets in a window")
    p.add_argument("--window", type=duration, default=timedelta(hours=1), help="e.g. 15m, 1h, 1d (default 1h)")
    p.add_argument("--limit", type=positive, default=10)
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = command("mentions", cmd_mentions, "recent tweets mentioning a symbol")
    p.add_argument("symbol")
    p.add_argument("--limit", type=positive, default=20)
    p.add_argument("--json", action="store_true", help="one JSON object per line")

    p = command("api", cmd_api, "serve the HTTP API (/api, /openapi.json) and the live web page (/)")
    p.add_argument("--host", help="listen address (default: TT_API_HOST)")
    p.add_argument("--port", type=int, help="listen port (default: TT_API_PORT)")

    p = command("extract", cmd_extract, "print one JSON line of tokens and mentions per input line {id, text}")
    p.add_argument("file", type=existing_file)
    p.add_argument("--backend", help="extraction backend (default: TT_EXTRACTOR)")

    p = command("eval", cmd_eval, "score backends against gold lines {id, text, tokens, optional}")
    p.add_argument("file", type=existing_file)
    p.add_argument("--backend", action="append", help="backend to score; repeat for several (default: all)")
    p.add_argument("--errors", type=Path, help="write the wrong predictions here as JSON lines")

    p = command("demo", cmd_demo, "the whole pipeline on this machine, with live progress and figures")
    p.add_argument("--tweets", type=int, default=1500, help="synthetic tweets to stream (default 1500)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    # 60/s is what two CPU workers running the tagger keep up with on a 2-core laptop with Kafka and
    # Redis beside them; raise it on bigger hosts, with a GPU or with TT_EXTRACTOR=rules.
    p.add_argument("--rate", type=float, default=60.0, help="tweets per second (default 60)")
    p.add_argument("--real", type=existing_file, help="JSONL of real tweets to mix in (default: the founders corpus in ../shared, if there)")
    p.add_argument("--no-real", action="store_true", help="synthetic tweets only")
    p.add_argument("--source", choices=("firehose", "x"), default="firehose",
                   help="firehose: tweets sent to Kafka directly (default); x: posted to a local X API server and "
                        "read from its filtered stream by `tickertape ingest --x-stream`, no token needed")

    # Training has its own dataclass arguments (model/training/train.py): everything after `train` is theirs.
    sub.add_parser("train", add_help=False, help="fine-tune the token model (tickertape train --help)").set_defaults(
        handler=cmd_train
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "train":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        # kafka-python logs every failed connection attempt; the command says what failed once.
        logging.getLogger("kafka").setLevel(logging.CRITICAL)
    settings = get_settings()
    try:
        return int(args.handler(args, settings) or 0)
    except ValueError as exc:
        print(f"tickertape {args.command}: {exc}", file=sys.stderr)
        return 2
    except (RedisConnectionError, KafkaConnectionError, KafkaTimeoutError) as exc:
        where = f"Redis ({_redacted(settings.redis_dsn)})" if isinstance(exc, RedisConnectionError) else f"Kafka ({settings.bootstrap})"
        hint = " — is it running? `tickertape up` starts the local one" if settings.uses_local_services else ""
        print(f"tickertape {args.command}: cannot reach {where}{hint}", file=sys.stderr)
        return 3
    except LocalServiceError as exc:
        print(f"tickertape {args.command}: {exc}", file=sys.stderr)
        return 4
    except XApiError as exc:
        print(f"tickertape {args.command}: the X API refused: {exc}", file=sys.stderr)
        return 5


def _redacted(url: str) -> str:
    """``url`` without its credentials, for error messages."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"***@{parts.hostname}:{parts.port}")) if parts.password or parts.username else url


def _with(settings: Settings, **overrides: object) -> Settings:
    """``settings`` with command-line ``overrides``, validated like the environment is."""
    return Settings.model_validate({**settings.model_dump(), **overrides})


if __name__ == "__main__":
    sys.exit(main())
