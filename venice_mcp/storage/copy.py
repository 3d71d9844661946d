"""``venice-mcp migrate --to postgresql://…``: copy a SQLite home's state into PostgreSQL.

Every row is copied once, however often this runs: payments, jobs and received payments by their
own unique keys (intent, job id, authorization), call records by the home they came from and their
row id (``imported_rows``), each insert skipped when it is already there. Stop the servers that use
the home first: a payment they are sending is copied as it stands.
"""

from __future__ import annotations

from venice_mcp.storage.base import Database

# Tables with a natural unique key, copied without their integer id (PostgreSQL numbers them).
KEYED = ("payments", "jobs", "received_payments")
BATCH = 1000


def _chunks(rows: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


def _insert(table: str, row: dict[str, object]) -> tuple[str, list[object]]:
    columns = [c for c in row if not (c == "id" and table != "jobs")]
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        " ON CONFLICT DO NOTHING"
    )
    return sql, [row[c] for c in columns]


async def copy_state(source: Database, target: Database) -> dict[str, tuple[int, int]]:
    """Copy what ``target`` lacks; per table (rows copied now, rows in the source)."""
    [info] = await source.query("SELECT value FROM store_info WHERE key = 'id'")
    home_id = str(info["value"])
    counts: dict[str, tuple[int, int]] = {}
    for table in (*KEYED, "calls"):
        rows = await source.query(f"SELECT * FROM {table} ORDER BY rowid")
        copied = 0
        for chunk in _chunks(rows):
            async with target.transaction() as tx:
                for row in chunk:
                    if table == "calls" and not await tx.execute(
                        "INSERT INTO imported_rows (source, tbl, source_id) VALUES (?, 'calls', ?)"
                        " ON CONFLICT DO NOTHING",
                        (home_id, row["id"]),
                    ):
                        continue
                    copied += await tx.execute(*_insert(table, row))
        counts[table] = (copied, len(rows))
    return counts
