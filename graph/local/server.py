"""The local Neo4j: fetch its jars once, start it on a loopback port, wait for Bolt, stop it.

Neo4j Community 5.26 (LTS) is embedded through a one-file Java launcher
(`graph/local/Launcher.java`); Maven fetches the jars into the user's cache the first time, so
later starts need no network.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NEO4J_VERSION = "5.26.30"
READY_LINE = "MINHU-NEO4J-READY"


class LocalNeo4jError(RuntimeError):
    """Something on this machine stops the local Neo4j; the message says what to do."""


def cache_dir() -> Path:
    base = os.environ.get("MINHU_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "minhu"
    )
    return Path(base) / f"neo4j-{NEO4J_VERSION}"


def _java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise LocalNeo4jError(
            "Java 17 or newer is needed to run the local Neo4j and was not found. "
            "Install it (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless) or set NEO4J_URI "
            "to use an existing Neo4j server."
        )
    return java


def _javac(java: str) -> str:
    javac = Path(java).with_name("javac")
    if javac.exists():
        return str(javac)
    found = shutil.which("javac")
    if not found:
        raise LocalNeo4jError(
            "javac (a JDK, not only a JRE) is needed once to compile the Neo4j launcher. "
            "Install it (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless)."
        )
    return found


def fetch(verbose: bool = True) -> Path:
    """Makes sure the jars and the compiled launcher are in the cache; returns the cache dir."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    done = root / ".complete"
    with open(root / ".lock", "w") as lock:
        # Several test sessions may set up at once; one fetches, the others wait for it.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.exists() and done.read_text() == _launcher_digest():
            return root
        mvn = shutil.which("mvn")
        lib = root / "lib"
        if not (lib.exists() and any(lib.glob("neo4j-bolt-*.jar"))):
            if not mvn:
                raise LocalNeo4jError(
                    "Maven (mvn) is needed once to fetch the Neo4j jars from Maven Central. "
                    "Install it (Debian/Ubuntu: apt-get install maven) or set NEO4J_URI."
                )
            if verbose:
                print(f"minhu: fetching Neo4j {NEO4J_VERSION} jars into {lib} (once)…", flush=True)
            proc = subprocess.run(
                [
                    mvn,
                    "-q",
                    "-B",
                    "-f",
                    str(HERE / "pom.xml"),
                    "dependency:copy-dependencies",
                    f"-DoutputDirectory={lib}",
                ],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise LocalNeo4jError(
                    "Maven could not fetch the Neo4j jars (is Maven Central reachable?):\n"
                    + (proc.stdout + proc.stderr)[-2000:]
                )
        classes = root / "classes"
        classes.mkdir(exist_ok=True)
        java = _java()
        proc = subprocess.run(
            [_javac(java), "-d", str(classes), "-cp", f"{lib}/*", str(HERE / "Launcher.java")],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise LocalNeo4jError("could not compile the Neo4j launcher:\n" + proc.stderr[-2000:])
        done.write_text(_launcher_digest())
    return root


def _launcher_digest() -> str:
    import hashlib

    return hashlib.sha256((HERE / "Launcher.java").read_bytes() + (HERE / "pom.xml").read_bytes()).hexdigest()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


@dataclass
class LocalNeo4j:
    """A running local Neo4j process."""

    home: Path
    port: int
    pid: int
    process: subprocess.Popen | None = None
    heap: str = "1g"
    pagecache: str = "256m"

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 60) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None:
                if self.process.poll() is not None:
                    break
            elif not _alive(self.pid):
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(FileNotFoundError):
            (self.home / "neo4j.json").unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); look at its state.
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        return state != "Z"
    return True


def start(
    home: Path,
    port: int = 0,
    heap: str = "1g",
    pagecache: str = "256m",
    timeout: float = 180,
    verbose: bool = True,
) -> LocalNeo4j:
    """Starts Neo4j with its store under `home` and returns once Bolt answers a query."""
    root = fetch(verbose=verbose)
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    if port and _port_taken(port):
        raise LocalNeo4jError(
            f"port {port} on 127.0.0.1 is taken; set MINHU_NEO4J_PORT to a free port, or 0 to pick one"
        )
    port = port or free_port()
    settings = {
        "server.bolt.enabled": "true",
        "server.bolt.listen_address": f"127.0.0.1:{port}",
        "server.bolt.advertised_address": f"127.0.0.1:{port}",
        "dbms.security.auth_enabled": "false",
        "server.memory.pagecache.size": pagecache,
        "db.tx_log.preallocate": "false",
        "db.tx_log.rotation.retention_policy": "100M size",
        "dbms.memory.transaction.total.max": "1g",
        "db.lock.acquisition.timeout": "30s",
    }
    command = [
        _java(),
        f"-Xmx{heap}",
        f"-Xms{heap}",
        "-XX:+UseG1GC",
        "-XX:TieredStopAtLevel=1" if os.environ.get("MINHU_NEO4J_FAST_JIT") else "-XX:+UseStringDeduplication",
        "--add-opens",
        "java.base/java.nio=ALL-UNNAMED",
        "--add-opens",
        "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens",
        "java.base/java.lang=ALL-UNNAMED",
        "--add-opens",
        "java.base/java.io=ALL-UNNAMED",
        "--add-opens",
        "java.base/java.util=ALL-UNNAMED",
        "--add-opens",
        "java.base/java.util.concurrent=ALL-UNNAMED",
        "-cp",
        f"{root / 'lib'}/*:{root / 'classes'}",
        "Launcher",
        str(home / "store"),
        *[f"{key}={value}" for key, value in settings.items()],
    ]
    log_path = home / "neo4j.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    server = LocalNeo4j(home=home, port=port, pid=process.pid, process=process, heap=heap, pagecache=pagecache)
    started = time.monotonic()
    while True:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise LocalNeo4jError(f"the local Neo4j exited during start-up (log: {log_path}):\n{tail}")
        if READY_LINE in log_path.read_text(errors="replace") and _bolt_answers(server.uri):
            break
        if time.monotonic() - started > timeout:
            server.stop()
            raise LocalNeo4jError(f"the local Neo4j did not answer within {timeout:.0f} s (log: {log_path})")
        time.sleep(0.2)
    (home / "neo4j.json").write_text(json.dumps({"pid": process.pid, "port": port, "uri": server.uri}))
    if verbose:
        print(
            f"minhu: local Neo4j {NEO4J_VERSION} ready at {server.uri} in {time.monotonic() - started:.1f} s",
            flush=True,
        )
    return server


def _bolt_answers(uri: str) -> bool:
    from neo4j import GraphDatabase

    try:
        with GraphDatabase.driver(uri, auth=None, connection_timeout=2) as driver:
            driver.execute_query("RETURN 1", database_="neo4j")
        return True
    except Exception:
        return False


def running(home: Path) -> LocalNeo4j | None:
    """The local Neo4j started earlier for this data folder (by `minhu neo4j start`), if alive."""
    state_file = home.resolve() / "neo4j.json"
    if not state_file.exists():
        return None
    state = json.loads(state_file.read_text())
    if not _alive(state["pid"]):
        state_file.unlink()
        return None
    return LocalNeo4j(home=home.resolve(), port=state["port"], pid=state["pid"])


class Watchdog(threading.Thread):
    """Restarts a local Neo4j that died (killed, out of memory) on the same port and store.

    Checks every `interval` seconds; the store recovers itself on start (Neo4j replays its
    transaction log), and the API's circuit breaker notices the server is back. `restarts` counts
    how often it had to; `stop()` ends the watch and then the server.
    """

    def __init__(self, server: LocalNeo4j, interval: float = 2.0, log: Any = print) -> None:
        super().__init__(name="minhu-neo4j-watchdog", daemon=True)
        self.server = server
        self.interval = interval
        self.restarts = 0
        self._log = log
        self._stopping = threading.Event()

    def _dead(self) -> bool:
        if self.server.process is not None:
            return self.server.process.poll() is not None
        return not _alive(self.server.pid)

    def run(self) -> None:
        while not self._stopping.wait(self.interval):
            if not self._dead():
                continue
            self._log(f"minhu: the local Neo4j (pid {self.server.pid}) died; restarting it on port {self.server.port}")
            while not self._stopping.is_set():
                try:
                    fresh = start(
                        self.server.home,
                        port=self.server.port,
                        heap=self.server.heap,
                        pagecache=self.server.pagecache,
                        verbose=False,
                    )
                except LocalNeo4jError as exc:
                    self._log(f"minhu: restarting the local Neo4j failed ({exc}); trying again")
                    self._stopping.wait(self.interval)
                    continue
                self.server.pid, self.server.process = fresh.pid, fresh.process
                self.restarts += 1
                self._log(f"minhu: the local Neo4j is back (pid {fresh.pid})")
                break

    def stop(self, timeout: float = 60) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout=timeout)
        self.server.stop()


# --- backups -------------------------------------------------------------------------------------


def admin(home: Path, *args: str, timeout: float = 1800, heap: str = "512m") -> str:
    """Runs `neo4j-admin` (from the same jars as the server) against the store under `home`.

    The store must not be in use: stop the local Neo4j first. Returns the tool's output; raises
    LocalNeo4jError with it when the tool fails.
    """
    root = fetch(verbose=False)
    home = home.resolve()
    store = home / "store"
    conf = home / "admin-conf"
    conf.mkdir(parents=True, exist_ok=True)
    # The embedded launcher keeps Neo4j's default layout under store/ (data/databases, data/transactions).
    (conf / "neo4j.conf").write_text(f"server.directories.data={store / 'data'}\n")
    env = {**os.environ, "NEO4J_HOME": str(store), "NEO4J_CONF": str(conf)}
    command = [
        _java(),
        f"-Xmx{heap}",
        "-cp",
        f"{root / 'lib'}/*:{root / 'classes'}",
        "org.neo4j.cli.AdminTool",
        *args,
    ]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL)
    output = (proc.stdout + proc.stderr).strip()
    if proc.returncode != 0:
        raise LocalNeo4jError(f"neo4j-admin {' '.join(args)} failed (exit {proc.returncode}):\n{output[-3000:]}")
    return output


def dump(home: Path, target: Path, database: str = "neo4j") -> Path:
    """Writes `database` of the (stopped) store under `home` to the dump file `target`."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with _scratch(target.parent) as folder:
        admin(home, "database", "dump", database, f"--to-path={folder}", "--overwrite-destination=true")
        produced = folder / f"{database}.dump"
        if not produced.exists():
            raise LocalNeo4jError(f"neo4j-admin wrote no {produced.name} in {folder}")
        produced.replace(target)
    return target


def load(home: Path, source: Path, database: str = "neo4j") -> None:
    """Replaces `database` of the (stopped) store under `home` with the dump file `source`."""
    source = source.resolve()
    if not source.is_file():
        raise LocalNeo4jError(f"no dump file at {source}")
    (home.resolve() / "store").mkdir(parents=True, exist_ok=True)
    with _scratch(source.parent) as folder:
        (folder / f"{database}.dump").symlink_to(source)
        admin(home, "database", "load", database, f"--from-path={folder}", "--overwrite-destination=true")


@contextlib.contextmanager
def _scratch(near: Path):
    import tempfile

    with tempfile.TemporaryDirectory(prefix=".minhu-dump-", dir=near) as folder:
        yield Path(folder)
