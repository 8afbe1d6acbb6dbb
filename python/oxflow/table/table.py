"""``Table`` and its grouped/windowed forms, mirroring ``pyflink.table.table``.

A ``Table`` is a Flink SQL query plus the TableEnvironment that runs it. Every operation composes
a new query that reads the previous one as a derived table
(``SELECT <items> FROM (<input>) AS _t3``), so the Table API and SQL build the same plans.

The TableEnvironment (``t_env``) is expected to offer ``sql_query(sql) -> Table``,
``execute_sql(stmt)``, ``explain_sql(sql, *details)``, ``_execute_query(sql)``,
``_column_names(sql)``, ``_resolved_schema(sql)`` and ``_to_pandas(sql)``.
"""

import itertools
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from .expression import (Expression, _Alias, _Column, _column_name, _NO_CONTEXT,
                         _RenderContext)
from .expressions import _ColumnSelection, col
from .types import TableDescriptor, _quote_identifier, _quote_path
from .window import GroupWindow, OverWindow

__all__ = ["Table", "GroupedTable", "GroupWindowedTable", "WindowGroupedTable",
           "OverWindowedTable"]

_ALIASES = itertools.count(1)
_SINKS = itertools.count(1)


def _fresh_alias() -> str:
    return "_t%d" % next(_ALIASES)


def _as_expr(field: Union[str, Expression]) -> Expression:
    if isinstance(field, str):
        return col(field)
    if not isinstance(field, Expression):
        raise TypeError("expected an Expression (or a column name), got %r" % (field,))
    return field


def _field_name(field: Union[str, Expression], what: str) -> str:
    if isinstance(field, str):
        return field
    if isinstance(field, _Column):
        return field._name
    raise TypeError("%s expects column references such as col('a'), got %s" % (what, field))


class Table(object):
    """A relational query: the Table API's core abstraction.

    ``Table(sql, t_env)``: ``sql`` is a complete Flink SQL query, ``t_env`` the
    TableEnvironment it belongs to.
    """

    def __init__(self, sql: str, t_env: Any):
        self._sql = sql
        self._t_env = t_env
        self._sort = None  # type: Optional[Tuple[str, Optional[str]]]  # (input, ORDER BY items)
        self._offset = None  # type: Optional[int]
        self._fetch = None  # type: Optional[int]

    def __str__(self) -> str:
        """The name of a view of this table, registered the first time (as PyFlink's ``str(table)``,
        so ``"SELECT * FROM %s" % table`` works)."""
        name = self.__dict__.get("_registered_name")
        if name is None:
            self._t_env._jobs += 1
            name = "_oxflow_unnamed_%d" % self._t_env._jobs
            self._t_env.create_temporary_view(name, self)
            self._registered_name = name
        return name

    def __getattr__(self, name: str) -> Expression:
        if name.startswith("_"):
            raise AttributeError(name)
        if name not in self._t_env._column_names(self._sql):
            raise AttributeError("the table has no column named %r" % name)
        return col(name)

    # ---- helpers ---------------------------------------------------------------------------

    def _query(self, sql: str) -> "Table":
        return self._t_env.sql_query(sql)

    def _source(self) -> str:
        return "(%s) AS %s" % (self._sql, _fresh_alias())

    def _column_names(self) -> List[str]:
        return list(self._t_env._column_names(self._sql))

    def _select_list(self, fields: Sequence[Union[str, Expression]],
                     ctx: _RenderContext = _NO_CONTEXT) -> str:
        if not fields:
            raise ValueError("select needs at least one field")
        items = []  # type: List[str]
        for f in fields:
            if isinstance(f, _ColumnSelection):
                items.extend(_quote_identifier(n) for n in f._select(self._column_names()))
            else:
                items.append(_as_expr(f)._to_sql(ctx))
        if not items:
            raise ValueError("the column selection is empty")
        return ", ".join(items)

    def _check_same_env(self, other: "Table") -> None:
        if not isinstance(other, Table):
            raise TypeError("expected a Table, got %r" % (other,))
        if other._t_env is not self._t_env:
            raise ValueError("only tables of the same TableEnvironment can be combined")

    # ---- projection and filtering ----------------------------------------------------------

    def select(self, *fields: Union[str, Expression]) -> "Table":
        """Projects: ``tab.select(col('a'), (col('b') + 1).alias('c'))``."""
        return self._query("SELECT %s FROM %s" % (self._select_list(fields), self._source()))

    def alias(self, field: str, *fields: str) -> "Table":
        """Renames the columns, in order: ``tab.alias('a', 'b')``."""
        names = self._column_names()
        new = [field] + list(fields)
        if len(new) > len(names):
            raise ValueError("%d aliases given for the %d columns %r" % (len(new), len(names),
                                                                         names))
        items = ["%s AS %s" % (_quote_identifier(old), _quote_identifier(n))
                 for old, n in zip(names, new)]
        items.extend(_quote_identifier(n) for n in names[len(new):])
        return self._query("SELECT %s FROM %s" % (", ".join(items), self._source()))

    def filter(self, predicate: Expression) -> "Table":
        """Keeps the rows satisfying ``predicate``: ``tab.filter(col('a') > 1)``."""
        return self._query("SELECT * FROM %s WHERE %s" % (self._source(),
                                                          _as_expr(predicate)._to_sql()))

    def where(self, predicate: Expression) -> "Table":
        """Same as ``filter``."""
        return self.filter(predicate)

    def distinct(self) -> "Table":
        """Removes duplicate rows."""
        return self._query("SELECT DISTINCT * FROM %s" % self._source())

    def add_columns(self, *fields: Expression) -> "Table":
        """Appends computed columns: ``tab.add_columns((col('a') + 1).alias('a1'))``."""
        return self._query("SELECT *, %s FROM %s" % (self._select_list(fields), self._source()))

    def add_or_replace_columns(self, *fields: Expression) -> "Table":
        """Appends columns, replacing existing ones of the same name (the last wins)."""
        names = self._column_names()
        replaced = {}  # type: Dict[str, Expression]
        added = {}  # type: Dict[Any, Expression]
        for i, f in enumerate(fields):
            expr = _as_expr(f)
            name = _column_name(expr)
            if name is not None and name in names:
                replaced[name] = expr
            else:
                added.pop(name if name is not None else i, None)
                added[name if name is not None else i] = expr
        # a replacing expression is a column reference or an alias of that name
        items = [replaced[n]._to_sql() if n in replaced else _quote_identifier(n) for n in names]
        items.extend(e._to_sql() for e in added.values())
        return self._query("SELECT %s FROM %s" % (", ".join(items), self._source()))

    def rename_columns(self, *fields: Expression) -> "Table":
        """Renames columns: ``tab.rename_columns(col('a').alias('a2'))``."""
        names = self._column_names()
        mapping = {}  # type: Dict[str, str]
        for f in fields:
            if not (isinstance(f, _Alias) and isinstance(f._expr, _Column)
                    and len(f._names) == 1):
                raise TypeError("rename_columns expects col('old').alias('new'), got %s" % (f,))
            if f._expr._name not in names:
                raise ValueError("no column named %r among %r" % (f._expr._name, names))
            mapping[f._expr._name] = f._names[0]
        items = [_quote_identifier(n) + (" AS " + _quote_identifier(mapping[n])
                                         if n in mapping else "") for n in names]
        return self._query("SELECT %s FROM %s" % (", ".join(items), self._source()))

    def drop_columns(self, *fields: Union[str, Expression]) -> "Table":
        """Removes columns: ``tab.drop_columns(col('a'), col('b'))``."""
        names = self._column_names()
        dropped = set()
        for f in fields:
            name = _field_name(f, "drop_columns")
            if name not in names:
                raise ValueError("no column named %r among %r" % (name, names))
            dropped.add(name)
        kept = [n for n in names if n not in dropped]
        if not kept:
            raise ValueError("drop_columns cannot drop every column")
        return self._query("SELECT %s FROM %s" % (", ".join(_quote_identifier(n) for n in kept),
                                                  self._source()))

    # ---- grouping and windows --------------------------------------------------------------

    def group_by(self, *fields: Union[str, Expression]) -> "GroupedTable":
        """Groups by keys; aggregate with ``.select(col('k'), col('v').sum.alias('s'))``."""
        return GroupedTable(self, [_as_expr(f) for f in fields])

    def window(self, window: GroupWindow) -> "GroupWindowedTable":
        """Defines a group window (``Tumble``/``Slide``/``Session``) to group by."""
        if not isinstance(window, GroupWindow):
            raise TypeError("window expects a GroupWindow (Tumble/Slide/Session...alias(...))")
        return GroupWindowedTable(self, window)

    def over_window(self, *over_windows: OverWindow) -> "OverWindowedTable":
        """Defines over windows for ``.select(col('a').sum.over(col('w')))``."""
        if not over_windows:
            raise ValueError("over_window needs at least one OverWindow")
        for w in over_windows:
            if not isinstance(w, OverWindow):
                raise TypeError("over_window expects OverWindow objects (Over...alias(...))")
        return OverWindowedTable(self, list(over_windows))

    # ---- joins -----------------------------------------------------------------------------

    def _join(self, right: "Table", kind: str, predicate: Optional[Expression]) -> "Table":
        self._check_same_env(right)
        sql = "SELECT * FROM %s %s %s" % (self._source(), kind, right._source())
        if predicate is not None:
            sql += " ON " + _as_expr(predicate)._to_sql()
        elif kind != "CROSS JOIN":
            sql += " ON TRUE"
        return self._query(sql)

    def join(self, right: "Table", join_predicate: Optional[Expression] = None) -> "Table":
        """Inner join; the two tables must have distinct column names."""
        return self._join(right, "CROSS JOIN" if join_predicate is None else "INNER JOIN",
                          join_predicate)

    def left_outer_join(self, right: "Table",
                        join_predicate: Optional[Expression] = None) -> "Table":
        """Left outer join; the two tables must have distinct column names."""
        return self._join(right, "LEFT JOIN", join_predicate)

    def right_outer_join(self, right: "Table", join_predicate: Expression) -> "Table":
        """Right outer join; the two tables must have distinct column names."""
        return self._join(right, "RIGHT JOIN", join_predicate)

    def full_outer_join(self, right: "Table", join_predicate: Expression) -> "Table":
        """Full outer join; the two tables must have distinct column names."""
        return self._join(right, "FULL JOIN", join_predicate)

    def _lateral(self, table_function_call: Expression) -> str:
        expr, names = table_function_call, []  # type: Expression, List[str]
        if isinstance(expr, _Alias):
            expr, names = expr._expr, expr._names
        columns = "(%s)" % ", ".join(_quote_identifier(n) for n in names) if names else ""
        return "LATERAL TABLE(%s) AS %s%s" % (expr._to_sql(), _fresh_alias(), columns)

    def join_lateral(self, table_function_call: Expression,
                     join_predicate: Optional[Expression] = None) -> "Table":
        """Joins each row with the rows a table function produces for it:
        ``tab.join_lateral(call('split', col('c')).alias('s'))``."""
        sql = "SELECT * FROM %s, %s" % (self._source(), self._lateral(table_function_call))
        if join_predicate is not None:
            sql += " WHERE " + _as_expr(join_predicate)._to_sql()
        return self._query(sql)

    def left_outer_join_lateral(self, table_function_call: Expression,
                                join_predicate: Optional[Expression] = None) -> "Table":
        """Like ``join_lateral``, keeping rows for which the function produces nothing."""
        on = "TRUE" if join_predicate is None else _as_expr(join_predicate)._to_sql()
        return self._query("SELECT * FROM %s LEFT JOIN %s ON %s"
                           % (self._source(), self._lateral(table_function_call), on))

    # ---- set operations --------------------------------------------------------------------

    def _set_op(self, right: "Table", op: str) -> "Table":
        self._check_same_env(right)
        return self._query("SELECT * FROM %s %s SELECT * FROM %s"
                           % (self._source(), op, right._source()))

    def union_all(self, right: "Table") -> "Table":
        """All rows of both tables."""
        return self._set_op(right, "UNION ALL")

    def union(self, right: "Table") -> "Table":
        """The distinct rows of both tables."""
        return self._set_op(right, "UNION")

    def minus_all(self, right: "Table") -> "Table":
        """The rows of this table not in ``right`` (keeping duplicates)."""
        return self._set_op(right, "EXCEPT ALL")

    def minus(self, right: "Table") -> "Table":
        """The distinct rows of this table not in ``right``."""
        return self._set_op(right, "EXCEPT")

    def intersect_all(self, right: "Table") -> "Table":
        """The rows in both tables (keeping duplicates)."""
        return self._set_op(right, "INTERSECT ALL")

    def intersect(self, right: "Table") -> "Table":
        """The distinct rows in both tables."""
        return self._set_op(right, "INTERSECT")

    # ---- ordering and limits ---------------------------------------------------------------

    def _ordered(self, source: str, items: Optional[str], offset: Optional[int],
                 fetch: Optional[int]) -> "Table":
        sql = "SELECT * FROM (%s) AS %s" % (source, _fresh_alias())
        if items:
            sql += " ORDER BY " + items
        if fetch is not None:
            sql += " LIMIT %d" % fetch
        if offset is not None:
            sql += " OFFSET %d" % offset
        table = self._query(sql)
        table._sort, table._offset, table._fetch = (source, items), offset, fetch
        return table

    def order_by(self, *fields: Union[str, Expression]) -> "Table":
        """Sorts: ``tab.order_by(col('a').desc)`` (ascending by default)."""
        if not fields:
            raise ValueError("order_by needs at least one field")
        items = ", ".join(_as_expr(f)._to_sql() for f in fields)
        return self._ordered(self._sql, items, None, None)

    def offset(self, offset: int) -> "Table":
        """Skips the first ``offset`` rows (of a sorted result)."""
        if offset < 0:
            raise ValueError("offset must be non-negative: %d" % offset)
        if self._fetch is not None:
            raise ValueError("FETCH is already defined: call offset before fetch")
        if self._offset is not None:
            raise ValueError("OFFSET is already defined")
        source, items = self._sort if self._sort is not None else (self._sql, None)
        return self._ordered(source, items, offset, None)

    def fetch(self, fetch: int) -> "Table":
        """Keeps the first ``fetch`` rows (of a sorted result, after ``offset``)."""
        if fetch < 0:
            raise ValueError("fetch must be non-negative: %d" % fetch)
        if self._fetch is not None:
            raise ValueError("FETCH is already defined")
        source, items = self._sort if self._sort is not None else (self._sql, None)
        return self._ordered(source, items, self._offset, fetch)

    def limit(self, fetch: int, offset: int = 0) -> "Table":
        """Keeps ``fetch`` rows starting at ``offset``."""
        return (self.offset(offset) if offset else self).fetch(fetch)

    # ---- execution -------------------------------------------------------------------------

    def execute(self) -> Any:
        """Runs the query; returns a ``TableResult`` to collect or print."""
        return self._t_env._execute_query(self._sql)

    def execute_insert(self, table_path_or_descriptor: Union[str, TableDescriptor],
                       overwrite: bool = False) -> Any:
        """Writes the rows into a registered table (a path) or a table a
        ``TableDescriptor`` describes; returns the ``TableResult``."""
        target = table_path_or_descriptor
        if isinstance(target, TableDescriptor):
            name = "_oxflow_sink_%d" % next(_SINKS)
            create = getattr(self._t_env, "create_temporary_table", None)
            if create is not None:
                create(name, target)
            else:
                self._t_env.execute_sql(target._to_ddl(name, temporary=True))
            target = name
        elif not isinstance(target, str):
            raise TypeError("execute_insert expects a table path or a TableDescriptor")
        return self._t_env.execute_sql("INSERT %s %s %s" % ("OVERWRITE" if overwrite else "INTO",
                                                          _quote_path(target), self._sql))

    def explain(self, *extra_details: Any) -> str:
        """The plan of the query."""
        return self._t_env.explain_sql(self._sql, *extra_details)

    def get_schema(self) -> Any:
        """The schema of the result."""
        return self._t_env._resolved_schema(self._sql)

    def print_schema(self) -> None:
        """Prints the schema of the result."""
        print(self._t_env._resolved_schema(self._sql))

    def to_pandas(self) -> Any:
        """Collects the result into a pandas DataFrame."""
        return self._t_env._to_pandas(self._sql)


class GroupedTable(object):
    """A table grouped by keys (``Table.group_by``)."""

    def __init__(self, table: Table, keys: List[Expression]):
        self._table = table
        self._keys = keys

    def select(self, *fields: Union[str, Expression]) -> Table:
        """Aggregates per group: ``.select(col('k'), col('v').sum.alias('total'))``."""
        sql = "SELECT %s FROM %s" % (self._table._select_list(fields), self._table._source())
        if self._keys:
            sql += " GROUP BY " + ", ".join(k._to_sql() for k in self._keys)
        return self._table._query(sql)


class GroupWindowedTable(object):
    """A table with a group window (``Table.window``); group it with ``group_by``."""

    def __init__(self, table: Table, window: GroupWindow):
        self._table = table
        self._window = window

    def group_by(self, *fields: Union[str, Expression]) -> "WindowGroupedTable":
        """Groups by the window alias and optional keys: ``.group_by(col('w'), col('k'))``."""
        keys = [_as_expr(f) for f in fields]
        if not any(isinstance(k, _Column) and k._name == self._window._alias for k in keys):
            raise ValueError("group_by of a windowed table must include the window alias %r"
                             % self._window._alias)
        return WindowGroupedTable(self._table, self._window, keys)


class WindowGroupedTable(object):
    """A table grouped by a group window and keys."""

    def __init__(self, table: Table, window: GroupWindow, keys: List[Expression]):
        self._table = table
        self._window = window
        self._keys = keys

    def select(self, *fields: Union[str, Expression]) -> Table:
        """Aggregates per window and key:
        ``.select(col('k'), col('w').start.alias('window_start'), col('v').sum)``."""
        ctx = _RenderContext(group_windows={self._window._alias: self._window})
        keys = [self._window._group_sql(ctx)
                if isinstance(k, _Column) and k._name == self._window._alias
                else k._to_sql(ctx) for k in self._keys]
        return self._table._query("SELECT %s FROM %s GROUP BY %s"
                                  % (self._table._select_list(fields, ctx),
                                     self._table._source(), ", ".join(keys)))


class OverWindowedTable(object):
    """A table with over windows (``Table.over_window``)."""

    def __init__(self, table: Table, windows: List[OverWindow]):
        self._table = table
        self._windows = windows

    def select(self, *fields: Union[str, Expression]) -> Table:
        """Projects with over aggregates: ``.select(col('a'), col('b').sum.over(col('w')))``."""
        ctx = _RenderContext(over_windows={w._alias: w for w in self._windows})
        return self._table._query("SELECT %s FROM %s" % (self._table._select_list(fields, ctx),
                                                         self._table._source()))
