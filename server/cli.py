"""The `minhu` command: serve the API, run migrations, seed, manage the local Neo4j, sign tokens."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from graph.kernel.db import Graph
from graph.kernel.errors import DomainError
from graph.kernel.migrations import migrate
from graph.local import server as local_neo4j
from resolvers.kernel.viewer import Role
from server.settings import Settings, get_settings


def _neo4j_home(settings: Settings) -> Path:
    return settings.minhu_data_dir / "neo4j"


@contextlib.contextmanager
def neo4j_uri(settings: Settings, watch: bool = False) -> Iterator[str]:
    """The server to talk to: NEO4J_URI, the local one already running, or a local one started now.

    A local Neo4j started here is stopped again when the block ends; its data stays in
    MINHU_DATA_DIR, so the next start finds it. With `watch`, it is restarted whenever it dies.
    """
    if settings.neo4j_uri:
        yield settings.neo4j_uri
        return
    home = _neo4j_home(settings)
    running = local_neo4j.running(home)
    if running:
        yield running.uri
        return
    server = local_neo4j.start(
        home, port=settings.minhu_neo4j_port, heap=settings.minhu_neo4j_heap, pagecache=settings.minhu_neo4j_pagecache
    )
    watchdog = None
    if watch and settings.minhu_neo4j_watch_seconds > 0:
        watchdog = local_neo4j.Watchdog(server, interval=settings.minhu_neo4j_watch_seconds, log=_say)
        watchdog.start()
    try:
        yield server.uri
    finally:
        print("minhu: stopping the local Neo4j…", flush=True)
        if watchdog is not None:
            watchdog.stop()
        else:
            server.stop()


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def refuse_unsafe(settings: Settings, host: str) -> str | None:
    """Why serving on `host` with these settings would be unsafe, or None."""
    if settings.uses_dev_secret and not _is_loopback(host):
        return (
            f"refusing to serve on {host}: JWT_SECRET is the development secret published in this repository, "
            "so anyone could sign a CITY_ADMIN token. Set JWT_SECRET to a long random value (e.g. "
            "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`), or use JWT_ALGORITHM=RS256 with "
            "JWT_JWKS_URL, or serve on 127.0.0.1 for local development."
        )
    return None


@contextlib.asynccontextmanager
async def connected(settings: Settings, uri: str) -> AsyncIterator[Graph]:
    graph = Graph.connect(uri, settings.neo4j_user, settings.neo4j_password, settings.neo4j_database)
    try:
        yield graph
    finally:
        await graph.close()


def _progress() -> Callable[[str, int, int], None]:
    last: dict = {"at": 0.0}

    def report(name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if name != last.get("name"):
            if last.get("name"):
                print(flush=True)
            last["name"] = name
        elif now - last["at"] < 0.5:
            return
        last["at"] = now
        print(f"\r  {name:<20} {done:>9,} written", end="", flush=True)

    return report


async def _migrate_and_seed(settings: Settings, uri: str, preset: str | None, if_empty: bool) -> None:
    from seeds.loader import graph_is_empty, load_preset

    async with connected(settings, uri) as graph:
        applied = await migrate(graph)
        print(f"minhu: migrations applied: {[m.version for m in applied] or 'none (up to date)'}", flush=True)
        if preset is None:
            return
        if if_empty and not await graph_is_empty(graph):
            print("minhu: the graph already holds data; not seeding", flush=True)
            return
        started = time.monotonic()
        print(f"minhu: loading the {preset!r} seed…", flush=True)
        counts = await load_preset(graph, preset, progress=_progress())
        print(f"\nminhu: seeded {sum(counts.values()):,} nodes in {time.monotonic() - started:.1f} s", flush=True)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from server.app import create_app
    from server.observability import configure_logging

    settings = get_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    unsafe = refuse_unsafe(settings, host)
    if unsafe:
        print(f"minhu: {unsafe}", file=sys.stderr)
        sys.exit(2)
    configure_logging(settings.minhu_log_format, settings.minhu_log_level)
    workers = args.workers or 1
    if workers < 1:
        print("minhu: --workers must be 1 or more", file=sys.stderr)
        sys.exit(2)
    with neo4j_uri(settings, watch=True) as uri, broker_url(settings, workers) as broker:
        asyncio.run(_migrate_and_seed(settings, uri, args.seed_if_empty, if_empty=True))
        if workers > 1:
            _serve_workers(settings, uri, broker, host, port, workers)
            return
        app = create_app(settings=settings.model_copy(update={"neo4j_uri": uri}))
        print(
            f"minhu: serving http://{host}:{port}/graphql (GraphiQL in a browser); "
            f"the coordinators' console at http://{host}:{port}/console; /health/live, /health/ready, /metrics",
            flush=True,
        )
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            access_log=False,  # our request log line replaces it
            log_config=None,  # keep the JSON logging configured above
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            server_header=False,
        )
        asyncio.run(_serve_until_interrupted(uvicorn.Server(config)))


@contextlib.contextmanager
def broker_url(settings: Settings, workers: int) -> Iterator[str | None]:
    """MINHU_BROKER_URL, or a local Redis started now when several workers need one (stopped after)."""
    if settings.minhu_broker_url or workers <= 1:
        yield settings.minhu_broker_url
        return
    from server.broker import LocalRedis

    redis = LocalRedis(settings.minhu_data_dir / "redis").start()
    print(f"minhu: started the local broker (redis-server) at {redis.url}", flush=True)
    try:
        yield redis.url
    finally:
        print("minhu: stopping the local broker…", flush=True)
        redis.stop()


def worker_app() -> object:
    """The app of one worker process of `minhu serve --workers N` (uvicorn calls it in each)."""
    from server.app import create_app
    from server.observability import configure_logging

    settings = get_settings()
    configure_logging(settings.minhu_log_format, settings.minhu_log_level)
    return create_app(settings=settings, run_migrations=False)  # the parent migrated, once


def _serve_workers(settings: Settings, uri: str, broker: str | None, host: str, port: int, workers: int) -> None:
    """N uvicorn worker processes on one socket; they share the graph and the broker."""
    import os

    import uvicorn

    # The workers are new interpreters: they read their settings from the environment.
    os.environ["NEO4J_URI"] = uri
    if broker:
        os.environ["MINHU_BROKER_URL"] = broker
    print(f"minhu: serving http://{host}:{port}/graphql with {workers} worker processes (broker {broker})", flush=True)
    uvicorn.run(
        "server.cli:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
    )


async def _serve_until_interrupted(server: object) -> None:
    """Runs uvicorn until Ctrl-C or SIGTERM, then shuts it down gracefully and returns normally.

    uvicorn's own handler re-raises the signal after shutdown, which would skip stopping the
    local Neo4j cleanly; here the signal only asks the server to exit.
    """
    import signal

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    server.capture_signals = contextlib.nullcontext  # type: ignore[attr-defined]
    await server.serve()  # type: ignore[attr-defined]


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = get_settings()
    with neo4j_uri(settings) as uri:
        asyncio.run(_migrate_and_seed(settings, uri, None, if_empty=False))


def cmd_seed(args: argparse.Namespace) -> None:
    settings = get_settings()
    if args.bulk:
        _bulk_seed(settings, args.preset, args.if_empty)
        return
    with neo4j_uri(settings) as uri:
        asyncio.run(_migrate_and_seed(settings, uri, args.preset, if_empty=args.if_empty))


def _bulk_seed(settings: Settings, preset: str, if_empty: bool) -> None:
    """`minhu seed --bulk`: neo4j-admin's importer into the empty, stopped local store, then migrations."""
    from seeds.admin_import import bulk_seed, store_has_database

    if settings.neo4j_uri:
        print(
            "minhu: NEO4J_URI is set; the bulk load writes a local store's files itself (MINHU_DATA_DIR, Neo4j "
            "stopped). Seed a running server with `minhu seed` (transactional), without --bulk.",
            file=sys.stderr,
        )
        sys.exit(2)
    home = _neo4j_home(settings)
    if if_empty and store_has_database(home, settings.neo4j_database):
        print("minhu: the local store already holds a database; not seeding", flush=True)
        return
    print(f"minhu: bulk-loading the {preset!r} seed into {home} (neo4j-admin database import full)…", flush=True)
    server, timings = asyncio.run(
        bulk_seed(
            home,
            preset,
            heap=settings.minhu_neo4j_heap,
            pagecache=settings.minhu_neo4j_pagecache,
            progress=lambda text: print(f"  {text}", flush=True),
        )
    )
    server.stop()
    print(
        f"minhu: seeded in {timings['total']:.1f} s (CSV + import {timings['import']:.1f} s, start "
        f"{timings['start']:.1f} s, migrations {timings['migrate']:.1f} s)",
        flush=True,
    )


def cmd_neo4j(args: argparse.Namespace) -> None:
    settings = get_settings()
    home = _neo4j_home(settings)
    if args.action == "fetch":
        print(f"minhu: Neo4j {local_neo4j.NEO4J_VERSION} jars ready in {local_neo4j.fetch()}")
    elif args.action == "start":
        running = local_neo4j.running(home)
        if running:
            print(f"minhu: the local Neo4j is already running at {running.uri} (pid {running.pid})")
            return
        server = local_neo4j.start(
            home,
            port=settings.minhu_neo4j_port,
            heap=settings.minhu_neo4j_heap,
            pagecache=settings.minhu_neo4j_pagecache,
        )
        print(f"minhu: started; data in {home}; stop it with `minhu neo4j stop` (pid {server.pid})")
    elif args.action == "stop":
        running = local_neo4j.running(home)
        if not running:
            print("minhu: no local Neo4j is running for", home)
            return
        running.stop()
        print("minhu: stopped the local Neo4j")
    else:
        running = local_neo4j.running(home)
        if running:
            print(f"running at {running.uri} (pid {running.pid}), data in {home}")
        else:
            print(f"not running (data folder {home})")
            sys.exit(3)


def cmd_token(args: argparse.Namespace) -> None:
    from server.auth import issue_token, parse_ttl

    settings = get_settings()
    print(issue_token(args.role, args.scope, args.subject, parse_ttl(args.ttl), settings))


def cmd_sweep(args: argparse.Namespace) -> None:
    from resolvers.needs.sweep import sweep_idempotency, sweep_overdue
    from resolvers.whistle.sweep import sweep_whistles

    settings = get_settings()

    async def run(uri: str) -> tuple[list[str], list[str], int]:
        async with connected(settings, uri) as graph:
            now = datetime.now(UTC)
            escalated = await sweep_overdue(graph, now)
            calls = await sweep_whistles(graph, now)
            return escalated, calls, await sweep_idempotency(graph, now, settings.minhu_idempotency_ttl_hours)

    with neo4j_uri(settings) as uri:
        escalated, calls, expired = asyncio.run(run(uri))
    print(f"minhu: escalated {len(escalated)} overdue need(s)")
    for need_id in escalated:
        print(" ", need_id)
    print(f"minhu: escalated {len(calls)} overdue whistle call(s) to their district's leadership")
    for call_id in calls:
        print(" ", call_id)
    print(f"minhu: deleted {expired} idempotency record(s) older than {settings.minhu_idempotency_ttl_hours:g} h")


def cmd_dump(args: argparse.Namespace) -> None:
    settings = get_settings()
    home = _stopped_store(settings, "dump")
    target = local_neo4j.dump(home, Path(args.file), settings.neo4j_database)
    print(f"minhu: dumped database {settings.neo4j_database!r} of {home} to {target} ({target.stat().st_size:,} bytes)")


def cmd_load(args: argparse.Namespace) -> None:
    settings = get_settings()
    home = _stopped_store(settings, "load")
    if not args.force and (home / "store" / "data" / "databases" / settings.neo4j_database).exists():
        print(
            f"minhu: {home} already holds a database {settings.neo4j_database!r}; loading replaces it. "
            "Run again with --force to do so (dump it first if in doubt).",
            file=sys.stderr,
        )
        sys.exit(2)
    local_neo4j.load(home, Path(args.file), settings.neo4j_database)
    print(f"minhu: loaded {args.file} into {home}; start the server and run `minhu db migrate` if it is older")


def _stopped_store(settings: Settings, verb: str) -> Path:
    if settings.neo4j_uri:
        print(
            f"minhu: NEO4J_URI is set; `minhu db {verb}` works on the local store (MINHU_DATA_DIR). For a server of "
            f"your own, run its `neo4j-admin database {verb}` there (see README, Operating Minhu).",
            file=sys.stderr,
        )
        sys.exit(2)
    home = _neo4j_home(settings)
    running = local_neo4j.running(home)
    if running:
        print(
            f"minhu: the local Neo4j is running (pid {running.pid}); stop it (`minhu neo4j stop`, or stop "
            f"`minhu serve`) before `minhu db {verb}`: neo4j-admin needs the store to itself.",
            file=sys.stderr,
        )
        sys.exit(2)
    return home


def cmd_import(args: argparse.Namespace) -> None:
    from resolvers.partners.roster_import import import_csv

    settings = get_settings()

    async def run(uri: str):
        async with connected(settings, uri) as graph:
            return await import_csv(graph, args.kind, Path(args.file), batch_size=args.batch_size)

    with neo4j_uri(settings) as uri:
        report = asyncio.run(run(uri))
    if report.rejected:
        sys.exit(1)


def cmd_apikey(args: argparse.Namespace) -> None:
    from graph.accounts import apikeys as stored
    from resolvers.accounts import apikeys

    settings = get_settings()

    async def run(uri: str) -> None:
        async with connected(settings, uri) as graph:
            await migrate(graph)
            if args.action == "create":
                key_id, secret = await apikeys.issue(graph, args.name, args.scope)
                print(f"{key_id}\t{secret}")
                print(
                    "minhu: keep the secret (the second column) now: only its hash is stored. "
                    f"Revoke with `minhu apikey revoke {key_id}`.",
                    file=sys.stderr,
                )
            elif args.action == "revoke":
                revoked = await apikeys.revoke(graph, args.key_id)
                print(f"{args.key_id}: {'revoked' if revoked else 'was already revoked'}")
            else:
                for row in await stored.listed(graph):
                    state = f"revoked {row['revokedAt']}" if row["revokedAt"] else "live"
                    print(f"{row['id']}\t{row['name']}\t{row['scopeId'] or 'city'}\t{row['createdAt']}\t{state}")

    with neo4j_uri(settings) as uri:
        asyncio.run(run(uri))


def cmd_schema(args: argparse.Namespace) -> None:
    from schema import sdl

    sys.stdout.write(sdl())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="minhu", description="民呼 Minhu: needs matched with people, units, venues and funds"
    )
    sub = p.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the GraphQL API (starts the local Neo4j unless NEO4J_URI is set)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--seed-if-empty", choices=["demo", "city"], help="load this seed when the graph is empty")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes behind the port (more than 1: events and rate limits through MINHU_BROKER_URL, "
        "or a local Redis started for them)",
    )
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="action", required=True)
    db_sub.add_parser("migrate", help="apply pending migrations").set_defaults(func=cmd_migrate)
    dump = db_sub.add_parser("dump", help="write the local store to a dump file (Neo4j stopped)")
    dump.add_argument("file", help="the dump file to write, e.g. backups/minhu-2026-11-30.dump")
    dump.set_defaults(func=cmd_dump)
    load = db_sub.add_parser("load", help="replace the local store with a dump file (Neo4j stopped)")
    load.add_argument("file", help="a dump written by `minhu db dump` or `neo4j-admin database dump`")
    load.add_argument("--force", action="store_true", help="replace a database that already exists")
    load.set_defaults(func=cmd_load)

    seed = sub.add_parser("seed", help="load generated Xi'an data")
    seed.add_argument("--preset", choices=["demo", "city"], default="demo")
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the graph already holds data")
    seed.add_argument(
        "--bulk",
        action="store_true",
        help="into an empty, stopped local store through neo4j-admin's importer (city in under a minute)",
    )
    seed.set_defaults(func=cmd_seed)

    neo = sub.add_parser("neo4j", help="the local Neo4j")
    neo.add_argument("action", choices=["start", "stop", "status", "fetch"])
    neo.set_defaults(func=cmd_neo4j)

    token = sub.add_parser("token", help="print a signed token for local use and tests")
    token.add_argument(
        "--role",
        required=True,
        choices=[role.value for role in Role],
    )
    token.add_argument("--scope", help="community/street/district/unit/department id the role acts in")
    token.add_argument("--subject", help="who: resident:…, member:… or user:…")
    token.add_argument("--ttl", default="1h", help="lifetime, e.g. 30m, 1h, 7d")
    token.set_defaults(func=cmd_token)

    sweep = sub.add_parser("sweep", help="escalate needs past their deadline and expire idempotency records, once")
    sweep.set_defaults(func=cmd_sweep)

    imp = sub.add_parser("import", help="import a partner roster from CSV")
    imp.add_argument("kind", choices=["units", "members", "venues"])
    imp.add_argument("file")
    imp.add_argument("--batch-size", type=int, default=500)
    imp.set_defaults(func=cmd_import)

    key = sub.add_parser("apikey", help="API keys of partner systems at the Open311 door (docs/OPEN311.md)")
    key_sub = key.add_subparsers(dest="action", required=True)
    create = key_sub.add_parser("create", help="issue a key; prints its id and its secret (shown once)")
    create.add_argument("--name", required=True, help="the partner it is for, e.g. 长安E格")
    create.add_argument("--scope", help="district:…, street:… or community:… it may file needs in (default: city)")
    create.set_defaults(func=cmd_apikey)
    revoke = key_sub.add_parser("revoke", help="revoke a key: it is refused from then on")
    revoke.add_argument("key_id", help="apikey:…, as `create` and `list` print it")
    revoke.set_defaults(func=cmd_apikey)
    key_sub.add_parser("list", help="every key: id, partner, scope, created, live or revoked").set_defaults(
        func=cmd_apikey
    )

    schema = sub.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.set_defaults(func=cmd_schema)
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except local_neo4j.LocalNeo4jError as exc:
        print(f"minhu: {exc}", file=sys.stderr)
        sys.exit(2)
    except DomainError as exc:
        print(f"minhu: {exc.message}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
