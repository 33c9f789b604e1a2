"""A video's marks as JSON text built by the database.

The timeline of a long video carries thousands of marks. Turning each row into Python
objects (timestamps, users, JSON regions) and back into JSON costs most of the
request; Postgres (json_agg) and SQLite (json_group_array) write the same array in a
fraction of the time, and the view passes the text through untouched. The shape is
``MarkReadSerializer``'s, timestamps as ISO 8601 UTC with "Z" (a test compares them).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection

from deepreview.review.models import Mark

_FIELDS = """
    'id', m.id, 'media', m.media_id, 'kind', m.kind, 'start_frame', m.start_frame,
    'end_frame', m.end_frame, 'region', {region}, 'note', m.note, 'created_by', c.username,
    'updated_by', u.username, 'version', m.version,
    'created_at', {created_at}, 'updated_at', {updated_at}
"""

_POSTGRES = """
SELECT COALESCE(json_agg(json_build_object({fields}) ORDER BY m.start_frame, m.end_frame, m.id)::text, '[]')
FROM {marks} m LEFT JOIN {users} c ON c.id = m.created_by_id LEFT JOIN {users} u ON u.id = m.updated_by_id
WHERE m.media_id = %s {author} {changes}
"""  # noqa: E501

_SQLITE = """
SELECT COALESCE(json_group_array(json(row)), '[]') FROM (
  SELECT json_object({fields}) AS row
  FROM {marks} m LEFT JOIN {users} c ON c.id = m.created_by_id LEFT JOIN {users} u ON u.id = m.updated_by_id
  WHERE m.media_id = %s {author} {changes}
  ORDER BY m.start_frame, m.end_frame, m.id)
"""  # noqa: E501


def _utc_iso(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    # SQLite stores UTC as "YYYY-MM-DD HH:MM:SS[.ffffff]".
    return f"replace({column}, ' ', 'T') || 'Z'"


def marks_json(
    *, media_id: int, author_id: int | None = None, changes: tuple[int, int] | None = None
) -> str:
    """The marks of one video (only ``author_id``'s when given; only those whose last
    change number is in ``changes`` = (after, up_to] when given) as a JSON array."""
    postgres = connection.vendor == "postgresql"
    fields = _FIELDS.format(
        region="m.region" if postgres else "json(m.region)",
        created_at=_utc_iso("m.created_at"),
        updated_at=_utc_iso("m.updated_at"),
    )
    sql = (_POSTGRES if postgres else _SQLITE).format(
        fields=fields,
        marks=connection.ops.quote_name(Mark._meta.db_table),
        users=connection.ops.quote_name(get_user_model()._meta.db_table),
        author="AND m.created_by_id = %s" if author_id is not None else "",
        changes="AND m.change > %s AND m.change <= %s" if changes is not None else "",
    )
    params = [media_id]
    if author_id is not None:
        params.append(author_id)
    if changes is not None:
        params.extend(changes)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]
