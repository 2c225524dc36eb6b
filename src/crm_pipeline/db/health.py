"""What ``crm-pipeline db status`` reports: server, schema revision, roles, audit triggers.

A database is healthy when its schema is at the head revision this code knows, the four roles
exist with the right login rights, crm_owner owns every pipeline table, and every audit trigger is
present and ``ENABLE ALWAYS``. Anything else is a problem that ``db status`` reports with exit 1:
a missing or disabled audit trigger means changes go unrecorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_pipeline.config import Settings, get_settings
from crm_pipeline.db import server
from crm_pipeline.db.connection import Connection, connect
from crm_pipeline.db.migrations import head_revision, read_revision

#: role → may it log in (migration 0001).
EXPECTED_ROLES: dict[str, bool] = {
    "crm_owner": False,
    "crm_loader": True,
    "crm_reader": True,
    "crm_api_sync": True,
}
#: (table, trigger) pairs migration 0003 creates. Migration 0008's write-count triggers are expected
#: on every table ``table_writes`` counts (read from the database: one list, in the migration).
EXPECTED_TRIGGERS: tuple[tuple[str, str], ...] = (
    *(
        (table, f"{table}_audit_{op}")
        for table in ("customers", "jobs")
        for op in ("insert", "update", "delete", "truncate")
    ),
    ("audit_log", "audit_log_append_only"),
)
_ENABLED = {"A": "always", "O": "origin", "R": "replica", "D": "disabled"}


@dataclass(frozen=True)
class RoleState:
    name: str
    present: bool
    can_login: bool | None

    @property
    def ok(self) -> bool:
        return self.present and self.can_login == EXPECTED_ROLES[self.name]


@dataclass(frozen=True)
class TriggerState:
    table: str
    name: str
    enabled: str  # always / origin / replica / disabled / missing

    @property
    def ok(self) -> bool:
        return self.enabled == "always"


@dataclass(frozen=True)
class DbHealth:
    server: server.ServerStatus
    head: str
    version: str | None = None
    revision: str | None = None
    roles: tuple[RoleState, ...] = ()
    triggers: tuple[TriggerState, ...] = ()
    not_owned: tuple[str, ...] = field(default=())  # pipeline tables crm_owner does not own

    @property
    def checked(self) -> bool:
        """False when the embedded server is not running (nothing could be looked at)."""
        return self.version is not None

    @property
    def problems(self) -> list[str]:
        if not self.checked:
            return []
        found: list[str] = []
        if self.revision != self.head:
            found.append(
                f"schema at revision {self.revision or 'none'}, code expects {self.head}: "
                "run `crm-pipeline db migrate`"
            )
        for role in self.roles:
            if not role.present:
                found.append(f"role {role.name} is missing")
            elif not role.ok:
                found.append(f"role {role.name} {'can' if role.can_login else 'cannot'} log in")
        missing = [t.name for t in self.triggers if t.enabled == "missing"]
        if missing:
            found.append(f"trigger(s) missing: {', '.join(missing)}")
        for trig in self.triggers:
            if not trig.ok and trig.enabled != "missing":
                found.append(f"trigger {trig.name} on {trig.table} is {trig.enabled}, not ALWAYS")
        if self.not_owned:
            found.append(f"not owned by crm_owner: {', '.join(self.not_owned)}")
        return found

    @property
    def ok(self) -> bool:
        return not self.problems


def _scalar(conn: Connection, query: str) -> Any:
    row = conn.execute(query).fetchone()
    return row[0] if row else None


def check(settings: Settings | None = None) -> DbHealth:
    """Look at the server and the schema (does not start the embedded server)."""
    settings = settings or get_settings()
    srv = server.status(settings)
    head = head_revision()
    if not srv.running:
        return DbHealth(server=srv, head=head)
    with connect(settings, "admin", autocommit=True, application_name="crm-pipeline status") as conn:
        version = str(_scalar(conn, "SHOW server_version"))
        revision = read_revision(conn)
        login = dict(
            conn.execute(
                "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname = ANY(%s)", [list(EXPECTED_ROLES)]
            ).fetchall()
        )
        enabled = {
            (str(table), str(name)): _ENABLED.get(str(flag), str(flag))
            for table, name, flag in conn.execute(
                "SELECT c.relname, t.tgname, t.tgenabled FROM pg_trigger t"
                " JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE c.relnamespace = 'public'::regnamespace AND NOT t.tgisinternal"
            ).fetchall()
        }
        counted: list[str] = []
        if _scalar(conn, "SELECT to_regclass('public.table_writes') IS NOT NULL"):
            counted = [str(r[0]) for r in conn.execute("SELECT table_name FROM table_writes ORDER BY 1")]
        expected = (*EXPECTED_TRIGGERS, *((table, f"{table}_count_writes") for table in counted))
        not_owned = tuple(
            str(name)
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                " AND tablename <> 'alembic_version' AND tableowner <> 'crm_owner' ORDER BY 1"
            ).fetchall()
        )
    return DbHealth(
        server=srv,
        head=head,
        version=version,
        revision=revision,
        roles=tuple(RoleState(name, name in login, login.get(name)) for name in EXPECTED_ROLES),
        triggers=tuple(
            TriggerState(table, name, enabled.get((table, name), "missing")) for table, name in expected
        ),
        not_owned=not_owned if revision is not None else (),
    )


def summary_rows(health: DbHealth) -> list[tuple[str, str]]:
    """``(label, value)`` lines for ``db status``; values may carry Rich markup."""
    srv = health.server
    rows = [
        ("server", srv.kind + (f" (data in {srv.pgdata})" if srv.pgdata else "")),
        ("running", "[green]yes[/]" + (f" (pid {srv.pid})" if srv.pid else "") if srv.running else "no"),
        ("url", srv.url),
    ]
    if not health.checked:
        rows.append(("schema", "unknown: the embedded server starts on demand (crm-pipeline db start)"))
        return rows
    behind = health.revision != health.head
    rows += [
        ("postgresql", health.version or "?"),
        (
            "schema",
            f"{'[red]' if behind else '[green]'}{health.revision or 'none'}[/] (head {health.head})",
        ),
        ("roles", ", ".join(_mark(r.ok, r.name) for r in health.roles)),
        (
            "triggers (audit, write counts)",
            "\n".join(_mark(t.ok, f"{t.table}.{t.name} ({t.enabled})") for t in health.triggers),
        ),
    ]
    if health.not_owned:
        rows.append(("ownership", "[red]not owned by crm_owner: " + ", ".join(health.not_owned) + "[/]"))
    return rows


def _mark(ok: bool, text: str) -> str:
    return f"[green]{text}[/]" if ok else f"[bold red]{text}[/]"
